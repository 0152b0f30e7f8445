import Logging
import NIOCore
import Proxy

/// What operators reach the running gateway through: the admin socket (status, reviews, grants)
/// and, unless turned off, the Prometheus endpoint on loopback.
struct OperatorEndpoints: Sendable {
    let admin: AdminServer
    let metrics: MetricsServer?
    let metricsAddress: String?

    init(service: AdminService, adminConfiguration: AdminConfiguration, metricsSection: MetricsSection, gatewayMetrics: GatewayMetrics,
         group: any EventLoopGroup) {
        admin = AdminServer(service: service, configuration: adminConfiguration, group: group, logger: Logger(label: "portcullis.admin"))
        metrics = metricsSection.host.map { host in
            MetricsServer(host: host, port: metricsSection.port, group: group, render: { gatewayMetrics.render() })
        }
        metricsAddress = Self.address(metricsSection)
    }

    /// `127.0.0.1:9464`, `[::1]:9464`, or nil when the endpoint is off.
    static func address(_ section: MetricsSection) -> String? {
        section.host.map { $0.contains(":") ? "[\($0)]:\(section.port)" : "\($0):\(section.port)" }
    }

    /// Starts both; on failure nothing stays open.
    func start() async throws {
        try await admin.start()
        do {
            try await metrics?.start()
        } catch {
            await admin.stop()
            throw error
        }
    }

    func stop() async {
        await metrics?.stop()
        await admin.stop()
    }
}
