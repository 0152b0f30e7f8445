import Foundation
import Intercept
import NIOCore
import NIOPosix

/// A stand-in for the gateway's listener in the Intercept tests: it accepts on the proxy port,
/// reads each connection's original destination, decides admission and attributes the caller with
/// the Intercept module's own code, prints the outcome as a JSON line on stdout, tells an admitted
/// client the same line, and closes. A refused client gets nothing but the close.
///
/// Usage: intercept-probe --port P --listen ADDR... --endpoint ADDR:PORT...
@main
struct InterceptProbe {
    static func main() async throws {
        var port: UInt16 = 15443
        var listen: [String] = []
        var endpoints: [SocketEndpoint] = []
        var arguments = CommandLine.arguments.dropFirst()
        while let flag = arguments.popFirst() {
            guard let value = arguments.popFirst() else { fail("\(flag) needs a value") }
            switch flag {
            case "--port": port = UInt16(value) ?? 0
            case "--listen": listen.append(value)
            case "--endpoint":
                guard let spec = try? EndpointSpec(cluster: "test", parsing: value), let ip = IPAddress(spec.host) else {
                    fail("bad --endpoint \(value)")
                }
                endpoints.append(SocketEndpoint(ip, port: spec.port))
            default: fail("unknown option \(flag)")
            }
        }
        let admission = try RedirectAdmission(endpoints: endpoints, gatewayAddresses: listen.compactMap(IPAddress.init),
                                              gatewayPort: port)
        let attribution = try CallerAttribution()
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ProbeHandler(admission: admission, attribution: attribution))
                }
            }
        for address in listen {
            _ = try await bootstrap.bind(host: address, port: Int(port)).get()
        }
        print("{\"event\":\"ready\"}")
        fflush(nil)
        try await Task.sleep(nanoseconds: .max / 2)
    }

    static func fail(_ message: String) -> Never {
        FileHandle.standardError.write(Data("intercept-probe: \(message)\n".utf8))
        exit(2)
    }
}

final class ProbeHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    let admission: RedirectAdmission
    let attribution: CallerAttribution

    init(admission: RedirectAdmission, attribution: CallerAttribution) {
        self.admission = admission
        self.attribution = attribution
    }

    func channelActive(context: ChannelHandlerContext) {
        let lookup = Result { () throws(OriginalDestinationError) in try OriginalDestination.of(channel: context.channel) }
        let decision = admission.decide(lookup)
        var fields: [String: String] = [:]
        if let peer = context.remoteAddress.flatMap(SocketEndpoint.init) { fields["peer"] = peer.description }
        if case .success(let original) = lookup { fields["originalDestination"] = original.address.withPort(original.port) }
        switch decision {
        case .admit(let endpoint):
            fields["decision"] = "admit"
            if let peer = context.remoteAddress.flatMap(SocketEndpoint.init) {
                let local = context.localAddress.flatMap(SocketEndpoint.init)
                let interface = local.flatMap { CallerAttribution.interface(owning: $0.address) }
                let caller = interface == nil || interface == "lo"
                    ? attribution.local(flow: Flow(transport: .tcp, source: peer.address, sourcePort: peer.port,
                                                   destination: endpoint.address, destinationPort: endpoint.port))
                    : attribution.forwarded(source: peer.address, interface: interface)
                if let uid = caller.uid { fields["uid"] = String(uid) }
                if let pid = caller.process?.pid { fields["pid"] = String(pid) }
                if let interface = caller.interface { fields["interface"] = interface }
            }
        case .refuse(let reason):
            fields["decision"] = "refuse"
            fields["reason"] = reason
        }
        let line = "{" + fields.keys.sorted().map { "\"\($0)\":\"\(fields[$0] ?? "")\"" }.joined(separator: ",") + "}\n"
        print(line, terminator: "")
        fflush(nil)
        if case .admit = decision {
            let channel = context.channel
            context.writeAndFlush(NIOAny(channel.allocator.buffer(string: line))).whenComplete { _ in
                channel.close(promise: nil)
            }
        } else {
            context.close(promise: nil)
        }
    }
}
