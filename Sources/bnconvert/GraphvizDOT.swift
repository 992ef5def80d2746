import BNModel

/// `inspect --dot`: the layer graph in Graphviz's DOT language, to be drawn with
/// `bnconvert inspect model.bnm --dot | dot -Tsvg > model.svg`.
///
/// One node per layer, labelled with its name, its kind (with the BN mode), its native output
/// shape and, for a Keras file, the Keras class; one edge per inbound connection, in order (a
/// layer that takes the same input twice has two edges). Inputs are ellipses, outputs are
/// drawn with a double border, batch normalizations are filled.
enum GraphvizDOT {
    struct Node {
        var name: String
        var op: LayerOp
        var inbound: [String]
        var outputShape: [Int]?
        var className: String?
    }

    static func graph(name: String, outputs: [String], nodes: [Node]) -> String {
        let outputSet = Set(outputs)
        var lines = ["digraph \(quoted(name)) {", "  rankdir=TB;", "  node [shape=box, fontname=\"Helvetica\"];"]
        for node in nodes {
            var label = [node.name, kindText(node.op) + (node.className.map { " ← \($0)" } ?? "")]
            label.append(node.outputShape.map { "→ \($0)" } ?? "→ ?")
            var attributes = ["label=\(quoted(label.joined(separator: "\n")))"]
            if case .input = node.op { attributes.append("shape=ellipse") }
            if case .batchNorm = node.op { attributes.append("style=filled, fillcolor=\"#fde9b8\"") }
            if outputSet.contains(node.name) { attributes.append("peripheries=2") }
            lines.append("  \(quoted(node.name)) [\(attributes.joined(separator: ", "))];")
        }
        for node in nodes {
            for source in node.inbound {
                lines.append("  \(quoted(source)) -> \(quoted(node.name));")
            }
        }
        lines.append("}")
        return lines.joined(separator: "\n")
    }

    /// The kind as the text listing shows it: `batch_norm [spatial, ε=0.001]`.
    static func kindText(_ op: LayerOp) -> String {
        guard case let .batchNorm(config) = op else { return op.kind }
        return "\(op.kind) [\(config.mode.rawValue), ε=\(config.epsilon)]"
    }

    /// A DOT double-quoted string: quotes and backslashes escaped, line breaks as `\n`
    /// (centred lines in a label).
    static func quoted(_ text: String) -> String {
        var result = "\""
        for character in text {
            switch character {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": continue
            default: result.append(character)
            }
        }
        return result + "\""
    }
}
