// Does ThreadSanitizer see Synchronization.Mutex on this toolchain? Two threads increment a
// Mutex<Int> 100,000 times each; the total is always 200,000 (the lock works). Built with
// -sanitize=thread, a report of a race here means the sanitizer cannot see the lock, and every
// access made under it elsewhere is reported too (scripts/sanitizers/tsan-suppressions.txt).
import Foundation
import Synchronization

final class Box: Sendable {
    let state = Mutex<Int>(0)
}

let box = Box()
let threads = (0..<2).map { _ in
    Thread {
        for _ in 0..<100_000 { box.state.withLock { $0 += 1 } }
    }
}
threads.forEach { $0.start() }
while box.state.withLock({ $0 }) < 200_000 { usleep(1000) }
print("mutex-probe: \(box.state.withLock { $0 })")
