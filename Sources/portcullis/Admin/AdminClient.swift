import Foundation
import Kube
import NIOCore
import NIOHTTP1
import NIOPosix

/// Talks to the running gateway's admin socket: one HTTP/1.1 request with a JSON body, one JSON
/// answer. Errors say what to do, not only what failed.
struct AdminClient {
    var socketPath: String

    /// The answer's JSON; throws ``AdminClientError`` for a refusal or an unreachable gateway.
    func call(_ method: HTTPMethod, _ path: String, body: JSONValue? = nil) async throws(AdminClientError) -> JSONValue {
        let (status, bytes) = try await exchange(method, path, body: body?.jsonBytes() ?? [])
        let answer = (try? JSONParser.parse(bytes)) ?? .null
        guard status == 200 else {
            throw .refused(status: status, message: answer["error"]?.stringValue ?? String(decoding: bytes, as: UTF8.self))
        }
        return answer
    }

    /// Streams a 200 answer's body to `onChunk` as it arrives, until the gateway ends it; throws
    /// ``AdminClientError`` for a refusal or an unreachable gateway.
    func stream(_ method: HTTPMethod, _ path: String, body: JSONValue, onChunk: @escaping @Sendable ([UInt8]) -> Void) async throws(AdminClientError) {
        let (status, bytes) = try await exchange(method, path, body: body.jsonBytes(), onChunk: onChunk)
        guard status == 200 else {
            let answer = (try? JSONParser.parse(bytes)) ?? .null
            throw .refused(status: status, message: answer["error"]?.stringValue ?? String(decoding: bytes, as: UTF8.self))
        }
    }

    private func exchange(_ method: HTTPMethod, _ path: String, body: [UInt8],
                          onChunk: (@Sendable ([UInt8]) -> Void)? = nil) async throws(AdminClientError) -> (Int, [UInt8]) {
        try checkSocket()
        let group = MultiThreadedEventLoopGroup.singleton
        let promise = group.next().makePromise(of: (Int, [UInt8]).self)
        do {
            let channel = try await ClientBootstrap(group: group)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHTTPClientHandlers()
                        try channel.pipeline.syncOperations.addHandler(AdminResponseReader(promise: promise, onChunk: onChunk))
                    }
                }
                .connect(unixDomainSocketPath: socketPath).get()
            var headers = HTTPHeaders()
            headers.add(name: "Host", value: "portcullis")
            headers.add(name: "Content-Type", value: "application/json")
            headers.add(name: "Content-Length", value: String(body.count))
            headers.add(name: "Connection", value: "close")
            channel.write(HTTPClientRequestPart.head(HTTPRequestHead(version: .http1_1, method: method, uri: path, headers: headers)),
                          promise: nil)
            channel.write(HTTPClientRequestPart.body(.byteBuffer(channel.allocator.buffer(bytes: body))), promise: nil)
            channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
            let answer = try await promise.futureResult.get()
            try? await channel.close()
            return answer
        } catch let error as IOError {
            promise.fail(error)
            throw describe(error.errnoCode)
        } catch let error as AdminClientError {
            throw error
        } catch {
            promise.fail(error)
            throw .unreachable(socket: socketPath, reason: "\(error)")
        }
    }

    /// Fails early, with a plain reason, when the socket cannot be used.
    private func checkSocket() throws(AdminClientError) {
        var info = stat()
        if stat(socketPath, &info) != 0 { throw describe(errno) }
        guard info.st_mode & S_IFMT == S_IFSOCK else {
            throw .unreachable(socket: socketPath, reason: "it is not a socket")
        }
    }

    private func describe(_ code: Int32) -> AdminClientError {
        switch code {
        case ENOENT: return .unreachable(socket: socketPath, reason: "no such socket: is the gateway running (portcullis up)?")
        case ECONNREFUSED: return .unreachable(socket: socketPath, reason: "nothing listens there: the gateway is not running")
        case EACCES, EPERM:
            return .unreachable(socket: socketPath, reason: "permission denied: only root and members of the admin group (admin.group) may use it")
        default: return .unreachable(socket: socketPath, reason: String(cString: strerror(code)))
        }
    }
}
