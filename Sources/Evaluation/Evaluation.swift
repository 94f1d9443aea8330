// The Evaluation module. Placeholder until its issue lands; see docs/ and the issue list.
public enum EvaluationModule {
    public static let name = "Evaluation"
}
