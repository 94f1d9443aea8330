// The Geometry module. Placeholder until its issue lands; see docs/ and the issue list.
public enum GeometryModule {
    public static let name = "Geometry"
}
