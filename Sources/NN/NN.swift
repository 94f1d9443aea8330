// The NN module. Placeholder until its issue lands; see docs/ and the issue list.
public enum NNModule {
    public static let name = "NN"
}
