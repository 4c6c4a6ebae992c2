// swift-tools-version:6.0
import PackageDescription

let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny")
]

let package = Package(
    name: "canrun",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "canrun", targets: ["canrun"]),
        .executable(name: "canrund", targets: ["canrund"]),
        .library(name: "CanrunCore", targets: ["CanrunCore"]),
        .library(name: "CanrunProbe", targets: ["CanrunProbe"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    ],
    targets: [
        .systemLibrary(name: "CHwloc", pkgConfig: "hwloc", providers: [.apt(["libhwloc-dev"])]),
        .systemLibrary(name: "CPci", pkgConfig: "libpci", providers: [.apt(["libpci-dev"])]),
        .target(
            name: "CanrunShims",
            dependencies: ["CPci", "CHwloc"],
            // The bandwidth kernels are measured against hand-written assembly (likwid): they
            // are compiled optimised in debug builds too, or every test run measures -O0 code.
            cSettings: [.unsafeFlags(["-O2"])]
        ),
        .target(
            name: "CanrunCore",
            dependencies: [.product(name: "TOMLKit", package: "TOMLKit")],
            swiftSettings: strict
        ),
        .target(
            name: "CanrunProbe",
            dependencies: ["CanrunCore", "CHwloc", "CPci", "CanrunShims"],
            swiftSettings: strict,
            linkerSettings: [.linkedLibrary("dl")]
        ),
        .target(
            // The CLI's way to the daemon: plain sockets, no NIO, so `canrun` stays small.
            name: "CanrunClient",
            swiftSettings: strict
        ),
        .target(
            name: "CanrunBench",
            dependencies: ["CanrunCore", "CanrunProbe", "CHwloc", "CanrunShims"],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "canrun",
            dependencies: [
                "CanrunCore", "CanrunProbe", "CanrunBench", "CanrunClient",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "CanrunServer",
            dependencies: [
                "CanrunCore", "CanrunProbe", "CanrunBench", "CanrunClient",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "canrund",
            dependencies: [
                "CanrunServer", "CanrunCore", "CanrunProbe", "CanrunBench", "CanrunClient",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "ProbeBenchmark",
            dependencies: ["CanrunCore", "CanrunProbe"],
            path: "Benchmarks/ProbeBenchmark",
            swiftSettings: strict
        ),
        .target(
            name: "CanrunCalibration",
            dependencies: ["CanrunCore"],
            path: "Benchmarks/CalibrationKit",
            swiftSettings: strict
        ),
        .executableTarget(
            name: "SpeedCalibration",
            dependencies: ["CanrunCore", "CanrunProbe", "CanrunCalibration"],
            path: "Benchmarks/SpeedCalibration",
            swiftSettings: strict
        ),
        .executableTarget(
            name: "FitBenchmark",
            dependencies: ["CanrunCore", "CanrunProbe"],
            path: "Benchmarks/FitBenchmark",
            swiftSettings: strict
        ),
        .executableTarget(
            name: "DaemonLoad",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            path: "Benchmarks/DaemonLoad",
            swiftSettings: strict
        ),
        .target(
            name: "DaemonHarness",
            dependencies: ["CanrunClient"],
            path: "Benchmarks/DaemonHarness",
            swiftSettings: strict
        ),
        .executableTarget(
            name: "ReloadBenchmark",
            dependencies: ["DaemonHarness", "CanrunClient"],
            path: "Benchmarks/ReloadBenchmark",
            swiftSettings: strict
        ),
        .executableTarget(
            name: "DaemonSoak",
            dependencies: ["DaemonHarness", "CanrunClient"],
            path: "Benchmarks/DaemonSoak",
            swiftSettings: strict
        ),
        .target(
            name: "CanrunFuzzTargets",
            dependencies: ["CanrunCore", "CanrunProbe"],
            path: "Fuzz/Targets",
            swiftSettings: strict
        ),
        .executableTarget(
            name: "CanrunFuzz",
            dependencies: ["CanrunFuzzTargets"],
            path: "Fuzz/CanrunFuzz",
            swiftSettings: strict
        ),
        .testTarget(
            name: "CanrunFuzzTests",
            dependencies: ["CanrunFuzzTargets", "CanrunCore"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "CanrunCalibrationTests",
            dependencies: ["CanrunCalibration", "CanrunCore", "CanrunProbe"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "CanrunCoreTests",
            dependencies: ["CanrunCore"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "CanrunBenchTests",
            dependencies: ["CanrunBench", "CanrunProbe", "CanrunCore", "CanrunShims"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "CanrunServerTests",
            dependencies: [
                "CanrunServer", "CanrunCore", "CanrunProbe", "CanrunBench", "CanrunClient",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "CanrunProbeTests",
            dependencies: ["CanrunProbe", "CanrunCore"],
            swiftSettings: strict
        ),
    ],
    swiftLanguageModes: [.v6]
)
