import Kube
import NIOCore

/// `kubectl attach`: the container's output is its log, so the session copies new log lines to
/// stdout and echoes each stdin chunk back, until the client leaves.
struct AttachSession {
    let plan: ExecSessionPlan
    let interval: TimeAmount

    func run(io: ShellIO) async {
        let echo = Task {
            while let chunk = await io.stdin.read() { io.stdout(chunk) }
        }
        let plan = LogPlan(namespace: plan.namespace, pod: plan.pod, container: plan.container, podUID: "",
                           createdAt: SandboxClock.now(), follow: true, tailLines: nil, timestamps: false)
        var n: Int64 = 1
        while !Task.isCancelled {
            do {
                try await Task.sleep(nanoseconds: UInt64(max(1, interval.nanoseconds)))
            } catch {
                break
            }
            io.out(LogLines.line(n, plan: plan, interval: interval))
            n += 1
        }
        echo.cancel()
    }
}
