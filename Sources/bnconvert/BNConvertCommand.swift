import ArgumentParser

@main
struct BNConvertCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bnconvert",
        abstract: "Convert Keras HDF5 weights to the native .bnm format and back."
    )
}
