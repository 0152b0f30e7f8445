/// The zlib preset dictionary of SPDY/3 header compression (draft 3, section 2.6.10.1), which
/// spdystream (kubectl's SPDY) calls `headerDictionary`. Both zlib contexts of a connection are
/// primed with it.
///
/// The spec lists it as bytes; it is built here from its structure: 65 words, each preceded by its
/// length as a 32-bit big-endian integer, then a run of status codes, reasons, dates and values
/// without separators. 1423 bytes in all. The tests check it against an independent transcription.
public enum SPDYHeaderDictionary {
    static let words = [
        "options", "head", "post", "put", "delete", "trace", "accept", "accept-charset", "accept-encoding",
        "accept-language", "accept-ranges", "age", "allow", "authorization", "cache-control", "connection",
        "content-base", "content-encoding", "content-language", "content-length", "content-location",
        "content-md5", "content-range", "content-type", "date", "etag", "expect", "expires", "from", "host",
        "if-match", "if-modified-since", "if-none-match", "if-range", "if-unmodified-since", "last-modified",
        "location", "max-forwards", "pragma", "proxy-authenticate", "proxy-authorization", "range", "referer",
        "retry-after", "server", "te", "trailer", "transfer-encoding", "upgrade", "user-agent", "vary", "via",
        "warning", "www-authenticate", "method", "get", "status", "200 OK", "version", "HTTP/1.1", "url",
        "public", "set-cookie", "keep-alive", "origin",
    ]

    static let tail = "100101201202205206300302303304305306307402405406407408409410411412413414415416417502504505"
        + "203 Non-Authoritative Information204 No Content301 Moved Permanently400 Bad Request401 Unauthorized"
        + "403 Forbidden404 Not Found500 Internal Server Error501 Not Implemented503 Service Unavailable"
        + "Jan Feb Mar Apr May Jun Jul Aug Sept Oct Nov Dec 00:00:00 Mon, Tue, Wed, Thu, Fri, Sat, Sun, GMT"
        + "chunked,text/html,image/png,image/jpg,image/gif,application/xml,application/xhtml+xml,text/plain,"
        + "text/javascript,publicprivatemax-age=gzip,deflate,sdchcharset=utf-8charset=iso-8859-1,utf-,*,enq=0."

    /// The dictionary's bytes.
    public static let bytes: [UInt8] = {
        var out: [UInt8] = []
        out.reserveCapacity(1423)
        for word in words {
            out.appendBigEndian(UInt32(word.utf8.count))
            out += word.utf8
        }
        out += tail.utf8
        return out
    }()
}
