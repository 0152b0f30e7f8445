import Foundation
import Kube
import NIOCore

/// How a record's caller learns its fate.
enum WriterCompletion: Sendable {
    case promise(EventLoopPromise<Void>)
    case callback(@Sendable (Result<Void, StoreWriteError>) -> Void)

    /// Completing a promise from the writer thread runs its callbacks on the promise's event loop.
    func complete(_ result: Result<Void, StoreWriteError>) {
        switch self {
        case .promise(let promise):
            switch result {
            case .success: promise.succeed(())
            case .failure(let error): promise.fail(error)
            }
        case .callback(let callback):
            callback(result)
        }
    }
}
