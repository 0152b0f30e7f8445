import Kube
import Proxy

/// What the recorder needs of its configuration while it turns a response into rows.
struct RecordingContext: Sendable {
    let bodyLimit: Int
    let maxStreamMessageBytes: Int
    let headers: HeaderRedactor
    let bodies: BodyRedactor
}
