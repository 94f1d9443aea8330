// The Baselines module. Placeholder until its issue lands; see docs/ and the issue list.
public enum BaselinesModule {
    public static let name = "Baselines"
}
