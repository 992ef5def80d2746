/// Inference-time batch normalisation `y = γ·(x − mean)/sqrt(var + ε) + β`, computed in double
/// and rounded once to float32.
///
/// Parameters are `[1, C, 1, 1]` (spatial: one set per channel, broadcast over H and W; on a
/// `[N, F]` vector, C = F) or `[1, C, H, W]` (per-activation: one set per element of a sample).
/// Both reduce to: parameter index = (element index within the sample) / `elementsPerParameter`.
struct BatchNormalization: Sendable {
    /// γ / sqrt(var + ε), per parameter.
    let factor: [Double]
    let mean: [Double]
    let beta: [Double]
    /// H·W for spatial parameters on a map, 1 otherwise.
    let elementsPerParameter: Int

    init(config: BatchNormConfig, inputShape: [Int], gamma: [Float], beta: [Float], mean: [Float], variance: [Float]) {
        factor = zip(gamma, variance).map { Double($0) / (Double($1) + config.epsilon).squareRoot() }
        self.mean = mean.map(Double.init)
        self.beta = beta.map(Double.init)
        switch config.mode {
        case .spatial: elementsPerParameter = inputShape.dropFirst().reduce(1, *)
        case .perActivation: elementsPerParameter = 1
        }
    }

    func apply(to input: NDArray) -> NDArray {
        var output = input
        let perSample = input.shape.dropFirst().reduce(1, *)
        guard perSample > 0 else { return output }
        output.values.withUnsafeMutableBufferPointer { y in
            for index in y.indices {
                let parameter = (index % perSample) / elementsPerParameter
                y[index] = Float((Double(y[index]) - mean[parameter]) * factor[parameter] + beta[parameter])
            }
        }
        return output
    }
}
