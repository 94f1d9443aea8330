// The RoMa module. Placeholder until its issue lands; see docs/ and the issue list.
public enum RoMaModule {
    public static let name = "RoMa"
}
