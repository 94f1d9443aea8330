// The Checkpoint module. Placeholder until its issue lands; see docs/ and the issue list.
public enum CheckpointModule {
    public static let name = "Checkpoint"
}
