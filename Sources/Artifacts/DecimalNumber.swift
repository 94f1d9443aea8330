/// The one number syntax the tool accepts in text it reads (pair lists, `--K-a`/`--K-b`):
/// plain decimal floats, `[+-]digits[.digits][(e|E)[+-]digits]` (".5" and "5." too).
///
/// `Double(_:)` alone is too lenient for input files: it reads hexadecimal ("0x10" is
/// 16), "inf" and "nan", and C's strtod stops at a NUL byte, so "51\0 2" became 51.
public enum DecimalNumber {
    public static func parse<S: StringProtocol>(_ text: S) -> Double? {
        guard isPlainDecimal(text.utf8) else { return nil }
        guard let value = Double(String(text)), value.isFinite else { return nil }
        return value
    }

    static func isPlainDecimal<C: Collection<UInt8>>(_ bytes: C) -> Bool {
        var i = bytes.startIndex
        func isDigit(_ b: UInt8) -> Bool { b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") }
        func digits() -> Int {
            var n = 0
            while i != bytes.endIndex, isDigit(bytes[i]) { n += 1; i = bytes.index(after: i) }
            return n
        }
        func accept(_ chars: String) -> Bool {
            guard i != bytes.endIndex, chars.utf8.contains(bytes[i]) else { return false }
            i = bytes.index(after: i)
            return true
        }
        _ = accept("+-")
        var mantissa = digits()
        if accept(".") { mantissa += digits() }
        guard mantissa > 0 else { return false }
        if accept("eE") {
            _ = accept("+-")
            guard digits() > 0 else { return false }
        }
        return i == bytes.endIndex
    }
}
