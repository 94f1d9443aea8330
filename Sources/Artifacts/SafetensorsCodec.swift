import Foundation

/// The safetensors container: an 8-byte little-endian header length, a JSON
/// header, then the tensors' bytes back to back.
///
/// Decoding trusts nothing in the file: the header length is checked against the
/// file size, every shape against its byte range, and byte ranges must tile the
/// data section exactly, so no number read from a file can drive an allocation
/// larger than the file itself.
enum SafetensorsCodec {
    /// Headers larger than this are rejected outright (the format's own limit is 100 MB).
    static let maxHeaderBytes = 100_000_000

    static func encode(_ artifact: Artifact) throws -> Data {
        var header: [String: Any] = [:]
        var offset = 0
        var body: [Data] = []
        for name in artifact.tensorNames {
            let t = try artifact.tensor(name)
            header[name] = ["dtype": t.dtype.rawValue, "shape": t.shape, "data_offsets": [offset, offset + t.bytes.count]] as [String: Any]
            offset += t.bytes.count
            body.append(t.bytes)
        }
        if !artifact.metadata.isEmpty { header["__metadata__"] = artifact.metadata }
        var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        // Pad with spaces so the data section starts 8-byte aligned, as the reference writer does.
        while json.count % 8 != 0 { json.append(0x20) }
        var out = Data(capacity: 8 + json.count + offset)
        var length = UInt64(json.count).littleEndian
        withUnsafeBytes(of: &length) { out.append(contentsOf: $0) }
        out.append(json)
        for chunk in body { out.append(chunk) }
        return out
    }

    static func decode(_ data: Data, source: String) throws -> Artifact {
        func fail(_ problem: String) -> ArtifactError {
            ArtifactError(file: source, "not a valid artifact: \(problem)")
        }
        guard data.count >= 8 else { throw fail("file is \(data.count) bytes, shorter than the 8-byte header length (truncated or not a safetensors file)") }
        var raw: UInt64 = 0
        withUnsafeMutableBytes(of: &raw) { _ = data.copyBytes(to: $0, from: data.startIndex..<data.startIndex + 8) }
        let headerLength = UInt64(littleEndian: raw)
        guard headerLength >= 2 else { throw fail("header length \(headerLength) is too small") }
        guard headerLength <= UInt64(maxHeaderBytes) else { throw fail("header length \(headerLength) exceeds the \(maxHeaderBytes)-byte limit") }
        guard headerLength <= UInt64(data.count - 8) else {
            throw fail("header length \(headerLength) runs past the end of the \(data.count)-byte file (truncated?)")
        }
        let headerStart = data.startIndex + 8
        let dataStart = headerStart + Int(headerLength)
        let headerBytes = data.subdata(in: headerStart..<dataStart)
        guard headerBytes.first == UInt8(ascii: "{") else { throw fail("header does not start with '{' (not a safetensors file)") }
        let parsed: Any
        do {
            parsed = try JSONSerialization.jsonObject(with: headerBytes)
        } catch {
            throw fail("header is not valid JSON")
        }
        guard let header = parsed as? [String: Any] else { throw fail("header is not a JSON object") }
        if let key = JSONDuplicateKeys.first(in: headerBytes) {
            throw fail("header repeats the key '\(ArtifactError.excerpt(key))' (a tensor name or __metadata__ given twice)")
        }

        var metadata: [String: String] = [:]
        if let meta = header["__metadata__"] {
            guard let dict = meta as? [String: Any] else { throw fail("__metadata__ is not an object") }
            for (k, v) in dict {
                guard let s = v as? String else { throw fail("__metadata__ value of '\(ArtifactError.excerpt(k))' is not a string") }
                metadata[k] = s
            }
        }

        let dataSize = data.count - dataStart
        var entries: [(name: String, dtype: DType, shape: [Int], begin: Int, end: Int)] = []
        for (name, value) in header where name != "__metadata__" {
            guard let info = value as? [String: Any] else { throw fail("entry '\(ArtifactError.excerpt(name))' is not an object") }
            guard let dtypeText = info["dtype"] as? String, let dtype = DType(rawValue: dtypeText) else {
                throw fail("tensor '\(ArtifactError.excerpt(name))' has unknown dtype \(ArtifactError.excerpt(String(describing: info["dtype"] ?? "nil")))")
            }
            guard let shapeAny = info["shape"] as? [Any], let shape = intArray(shapeAny), shape.allSatisfy({ $0 >= 0 }) else {
                throw fail("tensor '\(ArtifactError.excerpt(name))' has an invalid shape")
            }
            guard let offsetsAny = info["data_offsets"] as? [Any], let offsets = intArray(offsetsAny), offsets.count == 2 else {
                throw fail("tensor '\(ArtifactError.excerpt(name))' has invalid data_offsets")
            }
            let (begin, end) = (offsets[0], offsets[1])
            guard begin >= 0, begin <= end, end <= dataSize else {
                throw fail("tensor '\(ArtifactError.excerpt(name))' byte range \(begin)..<\(end) lies outside the \(dataSize)-byte data section (truncated?)")
            }
            var expected = dtype.byteSize
            for d in shape {
                let (product, overflow) = expected.multipliedReportingOverflow(by: d)
                guard !overflow, product <= dataSize else {
                    throw fail("tensor '\(ArtifactError.excerpt(name))' shape \(shape) needs more bytes than the file holds")
                }
                expected = product
            }
            guard expected == end - begin else {
                throw fail("tensor '\(ArtifactError.excerpt(name))' shape \(shape) of \(dtype.rawValue) needs \(expected) bytes, its range holds \(end - begin)")
            }
            entries.append((name, dtype, shape, begin, end))
        }
        entries.sort { ($0.begin, $0.end) < ($1.begin, $1.end) }
        var cursor = 0
        for e in entries {
            guard e.begin == cursor else {
                throw fail(e.begin < cursor ? "tensor '\(ArtifactError.excerpt(e.name))' overlaps the previous tensor" : "gap before tensor '\(ArtifactError.excerpt(e.name))'")
            }
            cursor = e.end
        }
        guard cursor == dataSize else {
            throw fail("data section is \(dataSize) bytes but tensors cover \(cursor) (truncated or trailing bytes)")
        }
        let ordered = entries.map { e in
            (e.name, TensorData(dtype: e.dtype, shape: e.shape, bytes: data.subdata(in: dataStart + e.begin..<dataStart + e.end)))
        }
        return Artifact(metadata: metadata, orderedTensors: ordered, source: source)
    }

    private static func intArray(_ values: [Any]) -> [Int]? {
        var out: [Int] = []
        for v in values {
            guard let n = v as? NSNumber else { return nil }
            let d = n.doubleValue
            guard d.isFinite, d == d.rounded(), abs(d) < 9.0e15 else { return nil }
            out.append(n.intValue)
        }
        return out
    }
}
