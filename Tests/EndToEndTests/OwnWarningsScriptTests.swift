import Foundation
import Testing
import TestSupport

extension EndToEnd {
    /// scripts/own-warnings.sh, which scripts/test.sh runs on the build's log: it names each warning
    /// about our own sources once, and ignores the dependencies' warnings and SwiftPM's notes.
    @Suite struct OwnWarningsScriptTests {
        /// A package root with one dependency checkout, and a build log written into it.
        static func run(log: String) throws -> (status: TestSupport.ExitStatus, output: String, root: String) {
            let root = try TemporaryDirectory.create(purpose: "warnings")
            defer { root.remove() }
            try FileManager.default.createDirectory(atPath: root.path(".build/checkouts/swift-nio"), withIntermediateDirectories: true)
            try FileManager.default.createDirectory(atPath: root.path(".build/checkouts/GRDB.swift"), withIntermediateDirectories: true)
            let text = log.replacingOccurrences(of: "ROOT", with: root.path)
            let logPath = try root.write(text, to: "build.log")
            let script = try Products.packageRoot() + "/scripts/own-warnings.sh"
            let result = try HostCommand.run(script, [logPath, root.path])
            return (result.status, result.standardOutput.replacingOccurrences(of: root.path, with: "ROOT"), root.path)
        }

        static let ours1 = "ROOT/Sources/Proxy/A.swift:32:41: warning: capture of 'handler' with non-Sendable type 'H' in a '@Sendable' closure"
        static let ours2 = "ROOT/Tests/ProxyTests/BTests.swift:7:5: warning: variable 'x' was never mutated; consider changing to 'let' constant"
        static let ours3 = "warning: 'root': found 1 file(s) which are unhandled; explicitly declare them as resources or exclude from the target"

        @Test func itNamesEachOfOurWarningsOnceAndNothingElse() throws {
            let log = """
                warning: you may be able to install libnetfilter_queue using your system-packager:
                    apt-get install libnetfilter-queue-dev
                warning: 'swift-nio': the target 'X' has a deprecated setting
                warning: 'grdb.swift': something about the dependency
                \(Self.ours3)
                [12/80] Compiling NIOCore Foo.swift
                ROOT/.build/checkouts/swift-nio/Sources/NIOCore/Foo.swift:10:3: warning: deprecated API
                /usr/include/zlib.h:1:1: warning: outside the package
                \(Self.ours1)
                   |                                         `- warning: capture of 'handler' with non-Sendable type 'H' in a '@Sendable' closure
                \(Self.ours1)
                ROOT/Sources/Proxy/A.swift:40:1: note: the handler is declared here
                ROOT/Sources/Proxy/C.swift:3:1: error: not a warning
                \(Self.ours2)
                Build complete! (10.00s)
                """
            let (status, output, _) = try Self.run(log: log)
            #expect(status == .exited(1))
            #expect(output.split(separator: "\n").map(String.init) == [Self.ours1, Self.ours2, Self.ours3].sorted())
        }

        @Test func aBuildWithoutOurWarningsPasses() throws {
            let log = """
                warning: you may be able to install libnetfilter_queue using your system-packager:
                    apt-get install libnetfilter-queue-dev
                ROOT/.build/checkouts/swift-nio/Sources/NIOCore/Foo.swift:10:3: warning: deprecated API
                [1/1] Compiling Proxy A.swift
                Build complete! (10.00s)
                """
            let (status, output, _) = try Self.run(log: log)
            #expect(status == .exited(0))
            #expect(output.isEmpty, "\(output)")
        }
    }
}
