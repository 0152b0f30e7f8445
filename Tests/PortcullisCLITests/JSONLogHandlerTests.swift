import Foundation
import Kube
import Logging
import Testing
import TestSupport

@testable import portcullis

@Suite struct JSONLogHandlerTests {
    @Test func eachLogLineIsOneJSONObjectWithItsMetadata() throws {
        let bytes = JSONLogHandler.line(time: Date(timeIntervalSince1970: 1_790_000_000.25), level: .notice, label: "portcullis.policy",
                                        message: "policy reloaded \"now\"", metadata: ["rules": "3", "file": "/etc/p.yaml", "level": "spoof"])
        #expect(bytes.last == UInt8(ascii: "\n") && bytes.dropLast().allSatisfy { $0 != UInt8(ascii: "\n") })
        let line = try JSONParser.parse(Array(bytes.dropLast()))
        #expect(line["level"] == "notice" && line["logger"] == "portcullis.policy" && line["message"] == "policy reloaded \"now\"")
        #expect(line["rules"] == "3" && line["file"] == "/etc/p.yaml")
        #expect(line["time"]?.stringValue?.hasPrefix("2026-") == true)
    }

    @Test func theLoggingSectionIsChecked() throws {
        let directory = try TemporaryDirectory.create(purpose: "logging")
        defer { directory.remove() }
        let base = "gateway:\n  uid: 990\nclusters:\n  - name: a\n    endpoints: [\"10.0.0.1:6443\"]\n"
        #expect(try GatewayConfiguration.load(path: try directory.write(base, to: "a.yaml")).logging == LoggingSection())
        let text = try GatewayConfiguration.load(path: try directory.write(base + "logging:\n  format: text\n  level: debug\n", to: "b.yaml"))
        #expect(!text.logging.json && text.logging.level == "debug" && !text.logging.requests)
        let requests = try GatewayConfiguration.load(path: try directory.write(base + "logging:\n  requests: true\n", to: "e.yaml"))
        #expect(requests.logging.requests)
        #expect(throws: ConfigurationError.self) {
            try GatewayConfiguration.load(path: try directory.write(base + "logging:\n  requests: all\n", to: "f.yaml"))
        }
        #expect(throws: ConfigurationError.self) {
            try GatewayConfiguration.load(path: try directory.write(base + "logging:\n  format: xml\n", to: "c.yaml"))
        }
        #expect(throws: ConfigurationError.self) {
            try GatewayConfiguration.load(path: try directory.write(base + "metrics:\n  listen: 0.0.0.0:9464\n", to: "d.yaml"))
        }
    }
}
