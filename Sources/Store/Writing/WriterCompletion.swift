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

    /// Completes many at once: the promises of each event loop in one task on that loop (one
    /// wake-up of the loop for a whole commit, not one per record), in order; callbacks at once.
    static func complete(_ completions: [(WriterCompletion, Result<Void, StoreWriteError>)]) {
        var byLoop: [ObjectIdentifier: (loop: any EventLoop, items: [(EventLoopPromise<Void>, Result<Void, StoreWriteError>)])] = [:]
        var order: [ObjectIdentifier] = []
        for (completion, result) in completions {
            switch completion {
            case .callback:
                completion.complete(result)
            case .promise(let promise):
                let loop = promise.futureResult.eventLoop
                let key = ObjectIdentifier(loop as AnyObject)
                if byLoop[key] == nil {
                    byLoop[key] = (loop, [])
                    order.append(key)
                }
                byLoop[key]?.items.append((promise, result))
            }
        }
        for key in order {
            guard let (loop, items) = byLoop[key] else { continue }
            if items.count == 1, let (promise, result) = items.first {
                WriterCompletion.promise(promise).complete(result)
                continue
            }
            loop.execute {
                for (promise, result) in items { WriterCompletion.promise(promise).complete(result) }
            }
        }
    }
}
