import NIOCore
import NIOHTTP1

/// The HTTP handlers of an agent connection, after TLS, in order:
/// ``RequestBytesProbe`` → the HTTP decoder (request head limited to ``ClientLimits/maxHeaderBytes``)
/// → the response encoder → ``RequestTimeouts`` → `last` (the ``ProxyRequestHandler``, or the
/// ``RefusalResponder`` of a connection over its caller's cap).
enum ProxyPipeline {
    /// `last` is made with the connection's ``RequestHeadProgress``, which the probe and the timeouts share.
    static func addHTTPHandlers(to pipeline: ChannelPipeline.SynchronousOperations, limits: ClientLimits,
                                last: (RequestHeadProgress) -> any ChannelHandler) throws {
        let progress = RequestHeadProgress()
        var decoderLimits = NIOHTTPDecoderLimitConfiguration()
        decoderLimits.maxHeaderFieldSize = limits.maxHeaderBytes
        decoderLimits.maxHeaderListSize = limits.maxHeaderBytes
        try pipeline.addHandler(RequestBytesProbe(progress: progress), name: ProxyHandlerNames.probe)
        try pipeline.addHandler(ByteToMessageHandler(HTTPRequestDecoder(leftOverBytesStrategy: .forwardBytes,
                                                                        informationalResponseStrategy: .drop,
                                                                        limitConfiguration: decoderLimits)),
                                name: ProxyHandlerNames.decoder)
        try pipeline.addHandler(HTTPResponseEncoder(), name: ProxyHandlerNames.encoder)
        try pipeline.addHandler(RequestTimeouts(limits: limits, progress: progress), name: ProxyHandlerNames.timeouts)
        try pipeline.addHandler(last(progress), name: ProxyHandlerNames.proxy)
    }
}
