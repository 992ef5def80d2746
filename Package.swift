// swift-tools-version:6.0
import PackageDescription

// Arrows point one way: bnconvert → BNConvert → KerasHDF5 → {HDF5, BNModel}; HDF5 → CHDF5;
// BNModel → JSONSchema. HDF5 is the only module that imports CHDF5. AtomicWrite (how every
// output file is put in place) depends on nothing and is used by every writer. BNConvert holds
// the formats (recognised by their bytes), the table of readers and writers, and the
// conversion job the command line calls.
let package = Package(
    name: "bnconvert",
    products: [
        .library(name: "BNConvert", targets: ["BNConvert"]),
        .executable(name: "bnconvert", targets: ["bnconvert"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        // Reads Keras' `.keras` archives (a zip of config.json and model.weights.h5).
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.20"),
    ],
    targets: [
        .systemLibrary(
            name: "CHDF5",
            pkgConfig: "hdf5-serial",
            providers: [.apt(["libhdf5-dev"])]
        ),
        .target(name: "AtomicWrite"),
        .systemLibrary(name: "SystemZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        // prctl(2) and async-signal-safe handlers for the CLI's worker process.
        .target(name: "CProcess"),
        .target(name: "HDF5", dependencies: ["CHDF5", "AtomicWrite"]),
        .target(name: "JSONSchema"),
        .target(name: "BNModel", dependencies: ["JSONSchema", "AtomicWrite", "SystemZlib"]),
        .target(name: "KerasHDF5", dependencies: [
            "HDF5", "BNModel", "JSONSchema", "AtomicWrite", .product(name: "ZIPFoundation", package: "ZIPFoundation"),
        ]),
        // The umbrella users import: re-exports every library module, and adds the formats and
        // the conversion job.
        .target(name: "BNConvert", dependencies: ["AtomicWrite", "BNModel", "HDF5", "JSONSchema", "KerasHDF5"]),
        .executableTarget(
            name: "bnconvert",
            dependencies: [
                "BNConvert", "KerasHDF5", "BNModel", "JSONSchema", "HDF5", "AtomicWrite", "CProcess",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(name: "HDF5Tests", dependencies: ["HDF5", "JSONSchema"], resources: [.copy("Fixtures")]),
        .testTarget(name: "JSONSchemaTests", dependencies: ["JSONSchema"], resources: [.copy("Fixtures")]),
        .testTarget(name: "BNModelTests", dependencies: ["BNModel"], resources: [.copy("Fixtures")]),
        // Runs the built `bnconvert` as a user would: exit codes, messages, files left behind.
        .testTarget(name: "CLITests", dependencies: ["bnconvert", "BNModel"], resources: [.copy("Fixtures")]),
        .testTarget(name: "KerasHDF5Tests", dependencies: ["KerasHDF5", "BNModel", "HDF5", "BNConvert"], resources: [.copy("Fixtures")]),
        // Formats by their bytes and the conversion job; reads the Keras fixtures in place.
        .testTarget(name: "BNConvertTests", dependencies: ["BNConvert"]),
    ]
)
