/// The softmax scale of attention over heads `d` wide, as torch computes it: 1/√d in
/// double (`sdp::calculate_scale`), rounded to float once when the kernel takes it.
/// `1 / Float(d).squareRoot()` rounds twice (the root, then the quotient) and is an ulp
/// off for 151 of d = 1…512 (6, 7, 17, …); for ViT-L/B's heads of 64 (and for 128) the
/// two agree. Every attention here takes its default scale from this one place.
public func attentionScale(headWidth d: Int) -> Float {
    Float(1 / Double(d).squareRoot())
}
