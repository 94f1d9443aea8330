// The Sampling module. Placeholder until its issue lands; see docs/ and the issue list.
public enum SamplingModule {
    public static let name = "Sampling"
}
