import Kube
import NIOCore
import NIOHTTP1

/// Serves one stream of the admin socket: opens it, answers 200 with chunked JSON lines as they
/// come, and ends when the stream fails or the client goes away.
///
/// Invariants: one write in flight at a time (each waits for the previous to be flushed), so a
/// slow client makes the stream wait, never the gateway buffer; a client that closes stops the
/// stream at its next line or poll.
enum AdminStreamWriter {
    static func serve(_ source: any AdminStreamSource, request: JSONValue, channel: any Channel) {
        Task {
            let stream: any AdminStream
            do {
                stream = try await source.open(request)
            } catch let error as AdminStreamError {
                return reply(.error(400, error.description), channel: channel)
            } catch {
                return reply(.error(503, "cannot read the store: \(error)"), channel: channel)
            }
            var headers = HTTPHeaders()
            headers.add(name: "Content-Type", value: "application/x-ndjson")
            headers.add(name: "Connection", value: "close")
            do {
                try await channel.writeAndFlush(HTTPServerResponsePart.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers))).get()
                while channel.isActive {
                    let lines = try await stream.next()
                    guard !lines.isEmpty else { continue }
                    var buffer = channel.allocator.buffer(capacity: lines.reduce(0) { $0 + $1.utf8.count + 1 })
                    for line in lines {
                        buffer.writeString(line)
                        buffer.writeInteger(UInt8(ascii: "\n"))
                    }
                    try await channel.writeAndFlush(HTTPServerResponsePart.body(.byteBuffer(buffer))).get()
                }
            } catch {
                // The client left or the store failed: end what was sent.
            }
            channel.writeAndFlush(HTTPServerResponsePart.end(nil)).whenComplete { _ in channel.close(promise: nil) }
        }
    }

    private static func reply(_ response: AdminResponse, channel: any Channel) {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "application/json")
        headers.add(name: "Content-Length", value: String(response.body.count))
        headers.add(name: "Connection", value: "close")
        channel.write(HTTPServerResponsePart.head(HTTPResponseHead(version: .http1_1, status: HTTPResponseStatus(statusCode: response.status),
                                                                   headers: headers)), promise: nil)
        channel.write(HTTPServerResponsePart.body(.byteBuffer(channel.allocator.buffer(bytes: response.body))), promise: nil)
        channel.writeAndFlush(HTTPServerResponsePart.end(nil)).whenComplete { _ in channel.close(promise: nil) }
    }
}
