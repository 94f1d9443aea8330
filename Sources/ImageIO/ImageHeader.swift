import Artifacts
import Foundation

/// Image size of a PNG or JPEG, for preparing a benchmark (the protocol rescales
/// intrinsics by it). Read through `ImageSource`, so `roma evaluate prepare` refuses
/// exactly the images `roma decode` and `roma sift` would refuse later (truncated,
/// damaged, 16-bit, beyond the size limit), before a long run starts.
///
/// The stored pixel grid is reported, ignoring EXIF orientation, as `roma decode` does.
public enum ImageHeader {
    public static func size(of path: String) throws -> (width: Int, height: Int) {
        let source = try ImageSource.open(path)
        return (source.width, source.height)
    }
}
