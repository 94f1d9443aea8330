// The Pipeline module. Placeholder until its issue lands; see docs/ and the issue list.
public enum PipelineModule {
    public static let name = "Pipeline"
}
