// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "portcullis",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "portcullis", targets: ["portcullis"]),
        .executable(name: "portcullis-sandbox", targets: ["portcullis-sandbox"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-asn1.git", from: "1.7.4"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/vapor/jwt-kit.git", from: "5.8.0"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        // The central store (issue 12): PostgreSQL over NIO, on the gateway's own event loops.
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        // Kubernetes protobuf bodies (issue 15): the runtime only; the messages are generated once
        // with protoc-gen-swift and committed (Sources/Kube/Protobuf/Generated).
        .package(url: "https://github.com/apple/swift-protobuf.git", from: "1.39.0"),
    ],
    targets: [
        // Kubernetes knowledge shared by every module: attribution, Status, audit Event, framing.
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CMalloc"),   // glibc's mallopt (the CLI's MemoryTuning)
        .target(
            name: "Kube",
            dependencies: ["CZlib", .product(name: "SwiftProtobuf", package: "swift-protobuf")]
        ),

        // Steering and the fail-closed guard.
        .systemLibrary(
            name: "CNetfilterQueue",
            pkgConfig: "libnetfilter_queue",
            providers: [.apt(["libnetfilter-queue-dev"])]
        ),
        .target(
            name: "Intercept",
            dependencies: [
                "Kube", "CNetfilterQueue",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ]
        ),

        // The data path between the agent and the API server.
        .target(
            name: "Proxy",
            dependencies: [
                "Kube", "Intercept",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ]
        ),

        // The tamper-evident record.
        .target(
            name: "Store",
            dependencies: [
                "Kube", "Intercept", "Proxy", "CZlib",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ]
        ),

        // The central store: every host's record shipped to PostgreSQL, and fleet-wide reviews and
        // grants. Depends on Store (what it ships) and Proxy (reviews, grants, the recorder); never
        // the reverse.
        .target(
            name: "Central",
            dependencies: [
                "Kube", "Proxy", "Store",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ]
        ),

        // A stand-in API server for the demo and the tests.
        .target(
            name: "Sandbox",
            dependencies: [
                "Kube",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        .executableTarget(
            name: "portcullis-sandbox",
            dependencies: [
                "Sandbox",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // The CLI: the only place the modules are wired together.
        .executableTarget(
            name: "portcullis",
            dependencies: [
                "Kube", "Intercept", "Proxy", "Store", "Central", "CMalloc",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),

        // A stand-in listener for the Intercept end-to-end tests. Not a product; never shipped.
        .executableTarget(
            name: "intercept-probe",
            dependencies: [
                "Intercept",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            path: "Tests/Tools/intercept-probe"
        ),

        // Namespaces, processes and the sandbox for tests. Never linked into a shipped binary.
        .target(name: "TestSupport", dependencies: ["Kube"]),

        .testTarget(
            name: "KubeTests",
            dependencies: ["Kube", "TestSupport", .product(name: "SwiftProtobuf", package: "swift-protobuf")]
        ),
        .testTarget(
            name: "InterceptTests",
            dependencies: [
                "Intercept", "Kube", "TestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "SandboxTests",
            dependencies: [
                "Sandbox", "Kube", "TestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
            ]
        ),
        .testTarget(name: "EndToEndTests", dependencies: ["TestSupport", "Kube"]),
        .testTarget(name: "PortcullisCLITests", dependencies: ["portcullis", "Intercept", "Store", "TestSupport",
                                                           .product(name: "GRDB", package: "GRDB.swift")]),
        .testTarget(
            name: "StoreTests",
            dependencies: [
                "Store", "Proxy", "Intercept", "Kube", "TestSupport",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "CentralTests",
            dependencies: [
                "Central", "Store", "Proxy", "Kube", "TestSupport",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "ProxyTests",
            dependencies: [
                "Proxy", "Kube", "Intercept", "TestSupport",
                .product(name: "MetricsTestKit", package: "swift-metrics"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)

// Fuzz targets (docs/fuzzing.md): only with PORTCULLIS_FUZZ=1, which scripts/fuzz.sh sets with its
// own scratch path (.build-fuzz) and `-sanitize=fuzzer,address`, so the normal build and tests never
// compile them. In that mode the CLI's sources build as a library, PortcullisCLI (without the file
// holding @main), so that the configuration and policy loaders can be fuzzed; tests are left out.
if Context.environment["PORTCULLIS_FUZZ"] == "1" {
    let cli = package.targets.first { $0.name == "portcullis" }
    package.targets.removeAll { $0.type == .test || $0.name == "portcullis" }
    package.products.removeAll { $0.name == "portcullis" }
    package.targets.append(.target(name: "PortcullisCLI", dependencies: cli?.dependencies ?? [], path: "Sources/portcullis",
                                   exclude: ["PortcullisCommand.swift"]))
    package.targets.append(.target(name: "CFuzzerDriver", path: "Fuzz/CFuzzerDriver"))
    package.targets.append(.target(name: "FuzzSupport", dependencies: ["CFuzzerDriver"], path: "Fuzz/Support"))
    let fuzzTargets: [(String, [Target.Dependency])] = [
        ("packet-headers", ["Intercept"]), ("sock-diag", ["Intercept"]), ("spdy", ["Kube", "Store"]), ("websocket", ["Store"]),
        ("json-redactor", ["Kube", "Store"]), ("request-info", ["Kube"]), ("selectors", ["Kube"]),
        ("reported-source", ["Proxy", "Intercept", "Kube"]),
        ("gateway-config", ["PortcullisCLI"]), ("policy", ["PortcullisCLI"]), ("audit-status", ["Kube"]), ("protobuf", ["Kube", "Store"]),
        ("cgroup-path", ["Intercept"]),
    ]
    for (name, dependencies) in fuzzTargets {
        package.targets.append(.executableTarget(name: "fuzz-\(name)", dependencies: dependencies + ["FuzzSupport"],
                                                 path: "Fuzz/Targets/\(name)"))
    }
}
