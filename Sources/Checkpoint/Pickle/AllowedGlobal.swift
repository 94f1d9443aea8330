/// The only module-level names a checkpoint's pickle may refer to. Each is
/// interpreted here by its meaning (make a dict, describe a tensor); none is ever
/// looked up or called in any runtime. Every other name is refused with an error
/// that quotes it, which is how a malicious `os.system` reduce is caught.
enum AllowedGlobal {
    case orderedDict            // collections.OrderedDict
    case rebuildTensorV2        // torch._utils._rebuild_tensor_v2
    case rebuildParameter       // torch._utils._rebuild_parameter
    case rebuildParameterWithState  // torch._utils._rebuild_parameter_with_state
    case storageType(ElementType)   // torch.FloatStorage, torch.HalfStorage, …
    case torchSize              // torch.Size: a tuple
    case set                    // builtins.set / builtins.frozenset: kept as a list
    case codecsEncode           // _codecs.encode: how protocol 2 spells bytes

    init?(module: String, name: String) {
        switch (module, name) {
        case ("collections", "OrderedDict"): self = .orderedDict
        case ("torch._utils", "_rebuild_tensor_v2"): self = .rebuildTensorV2
        case ("torch._utils", "_rebuild_parameter"): self = .rebuildParameter
        case ("torch._utils", "_rebuild_parameter_with_state"): self = .rebuildParameterWithState
        case ("torch", "Size"): self = .torchSize
        case ("builtins", "set"), ("builtins", "frozenset"), ("__builtin__", "set"), ("__builtin__", "frozenset"): self = .set
        case ("_codecs", "encode"): self = .codecsEncode
        case ("torch", _):
            guard let type = ElementType(torchStorageClass: name) else { return nil }
            self = .storageType(type)
        default: return nil
        }
    }

    var qualifiedName: String {
        switch self {
        case .orderedDict: return "collections.OrderedDict"
        case .rebuildTensorV2: return "torch._utils._rebuild_tensor_v2"
        case .rebuildParameter: return "torch._utils._rebuild_parameter"
        case .rebuildParameterWithState: return "torch._utils._rebuild_parameter_with_state"
        case .storageType(let t): return "torch storage of \(t.rawValue)"
        case .torchSize: return "torch.Size"
        case .set: return "builtins.set"
        case .codecsEncode: return "_codecs.encode"
        }
    }
}
