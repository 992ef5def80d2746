// swift-tools-version:6.0
import Foundation
import PackageDescription

// libFuzzer targets for bnconvert. Build (from this folder):
//   swift build -c release -sanitize=fuzzer -sanitize=address
// Each executable target defines only `LLVMFuzzerTestOneInput` (no `main`): libFuzzer links its own.
// SwiftPM names a path dependency after its folder (the clone's name), not its manifest name.
let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().lastPathComponent.lowercased()

let fuzzDependencies: [Target.Dependency] = ["FuzzSupport", .product(name: "BNConvert", package: root)]
// ld.gold (the default on Linux) drops libFuzzer's coverage-counter registration: the binary
// links and runs, but libFuzzer sees no coverage ("Is the code instrumented for coverage?").
// lld, shipped with the Swift toolchain, keeps it.
let fuzzLinker: [LinkerSetting] = [.unsafeFlags(["-use-ld=lld"])]

let package = Package(
    name: "bnconvert-fuzz",
    dependencies: [
        .package(path: ".."),
    ],
    targets: [
        .target(name: "CFuzzShim"),
        .target(name: "FuzzSupport", dependencies: ["CFuzzShim", .product(name: "BNConvert", package: root)]),
        .executableTarget(name: "fuzz_bnm_open", dependencies: fuzzDependencies, linkerSettings: fuzzLinker),
        .executableTarget(name: "fuzz_bnm_export", dependencies: fuzzDependencies, linkerSettings: fuzzLinker),
        .executableTarget(name: "fuzz_json_schema", dependencies: fuzzDependencies, linkerSettings: fuzzLinker),
        .executableTarget(name: "fuzz_npy", dependencies: fuzzDependencies, linkerSettings: fuzzLinker),
        .executableTarget(name: "fuzz_keras_config", dependencies: fuzzDependencies, linkerSettings: fuzzLinker),
    ],
    swiftLanguageModes: [.v5]
)
