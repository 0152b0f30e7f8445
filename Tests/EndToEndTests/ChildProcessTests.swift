import Foundation
import Testing
import TestSupport

/// Tests of the harness's process handling. They need no root and run anywhere.
@Suite struct ChildProcessTests {
    @Test func waitForLineReturnsTheMatchingLine() async throws {
        let child = try ChildProcess.launch("/bin/sh", ["-c", "echo starting; echo 'server ready now'; exec sleep 30"])
        let line = try await child.waitForLine(containing: "ready", timeout: .seconds(10))
        #expect(line == "server ready now")
        #expect(child.isRunning)
        let status = await child.terminate()
        #expect(status == .signalled(SIGTERM))
    }

    @Test func waitForLineSeesStandardError() async throws {
        let child = try ChildProcess.launch("/bin/sh", ["-c", "echo 'to stderr' >&2; exec sleep 30"])
        let line = try await child.waitForLine(containing: "stderr", in: .standardError, timeout: .seconds(10))
        #expect(line == "to stderr")
        await child.terminate()
    }

    @Test func exitCodeAndBothStreamsAreCaptured() async throws {
        let child = try ChildProcess.launch("/bin/sh", ["-c", "echo out; echo err >&2; exit 7"])
        let status = try await child.waitForExit(timeout: .seconds(10))
        #expect(status == .exited(7))
        #expect(status.shellCode == 7)
        #expect(child.standardOutput == "out\n")
        #expect(child.standardError == "err\n")
    }

    @Test func waitForLineTimesOutWithTheOutputSoFar() async throws {
        let child = try ChildProcess.launch("/bin/sh", ["-c", "echo partial output; exec sleep 30"])
        let started = ContinuousClock.now
        let error = await #expect(throws: HarnessError.self) {
            try await child.waitForLine(containing: "never printed", timeout: .milliseconds(500))
        }
        // Far below the sleep's 30 s: the wait gave up on its own (the bound is loose for loaded machines).
        #expect(ContinuousClock.now - started < .seconds(25))
        #expect(error?.message.contains("timed out") == true)
        #expect(error?.message.contains("partial output") == true)
        await child.terminate()
    }

    @Test func waitForLineFailsFastWhenTheProcessExits() async throws {
        let child = try ChildProcess.launch("/bin/sh", ["-c", "echo 'bad flag' >&2; exit 2"])
        let started = ContinuousClock.now
        let error = await #expect(throws: HarnessError.self) {
            try await child.waitForLine(containing: "ready", timeout: .seconds(120))
        }
        // Far below the 120 s timeout: the exit ended the wait (loose bound for loaded machines).
        #expect(ContinuousClock.now - started < .seconds(60))
        #expect(error?.message.contains("exit code 2") == true)
        #expect(error?.message.contains("bad flag") == true)
    }

    @Test func standardInputBytesAreFedThenClosed() async throws {
        let child = try ChildProcess.launch("/bin/cat", options: LaunchOptions(standardInput: .text("piped input\n")))
        #expect(try await child.waitForExit(timeout: .seconds(10)) == .exited(0))
        #expect(child.standardOutput == "piped input\n")
    }

    @Test func standardInputPipeIsInteractive() async throws {
        let child = try ChildProcess.launch("/bin/cat", options: LaunchOptions(standardInput: .pipe))
        try child.writeToStandardInput("first\n")
        #expect(try await child.waitForLine(containing: "first", timeout: .seconds(10)) == "first")
        try child.writeToStandardInput("second\n")
        #expect(try await child.waitForLine(containing: "second", timeout: .seconds(10)) == "second")
        child.closeStandardInput()
        #expect(try await child.waitForExit(timeout: .seconds(10)) == .exited(0))
    }

    @Test func defaultStandardInputIsEmpty() async throws {
        let child = try ChildProcess.launch("/bin/cat")
        #expect(try await child.waitForExit(timeout: .seconds(10)) == .exited(0))
        #expect(child.standardOutput.isEmpty)
    }

    @Test func terminateEscalatesToSIGKILL() async throws {
        let child = try ChildProcess.launch("/bin/sh", ["-c", "trap '' TERM; echo trapped; exec sleep 30"])
        try await child.waitForLine(containing: "trapped", timeout: .seconds(10))
        let status = await child.terminate(grace: .milliseconds(300))
        #expect(status == .signalled(SIGKILL))
    }

    @Test func childrenDoNotInheritIgnoredSignals() async throws {
        // The harness catches SIGINT/SIGTERM/SIGHUP with handlers, never SIG_IGN, and spawns with an
        // empty signal mask, so children start with default dispositions, nothing blocked, and the
        // sandbox and kubectl can be stopped with SIGTERM.
        try TemporaryDirectory.create(purpose: "signals").remove()  // registering installs the handlers
        let child = try ChildProcess.launch("/bin/sh", ["-c", "grep -E 'SigIgn|SigBlk' /proc/self/status"])
        #expect(try await child.waitForExit(timeout: .seconds(10)) == .exited(0))
        let childIgnored = try #require(Self.mask(in: child.standardOutput, field: "SigIgn"))
        #expect(Self.mask(in: child.standardOutput, field: "SigBlk") == 0, "children start with signals blocked")
        let ownStatus = try String(contentsOfFile: "/proc/self/status", encoding: .utf8)
        let ownIgnored = try #require(Self.mask(in: ownStatus, field: "SigIgn"))
        let ownCaught = try #require(Self.mask(in: ownStatus, field: "SigCgt"))
        for signal in [SIGINT, SIGTERM, SIGHUP] {
            let bit = UInt64(1) << UInt64(signal - 1)
            guard ownIgnored & bit == 0 else { continue }  // the runner was started with it ignored
            #expect(ownCaught & bit != 0, "the harness does not catch signal \(signal)")
            #expect(childIgnored & bit == 0, "signal \(signal) is ignored in children: \(child.standardOutput)")
        }
    }

    @Test func largeOutputDoesNotBlockTheChild() async throws {
        let child = try ChildProcess.launch("/bin/sh", ["-c", "head -c 1000000 /dev/zero"])
        #expect(try await child.waitForExit(timeout: .seconds(20)) == .exited(0))
        #expect(child.standardOutputBytes.count == 1_000_000)
    }

    @Test func missingExecutableIsAClearError() throws {
        let error = #expect(throws: HarnessError.self) {
            try ChildProcess.launch("/nonexistent/program")
        }
        #expect(error?.message.contains("/nonexistent/program") == true)
    }

    /// The hexadecimal mask of `field` (e.g. `SigIgn`) in a /proc/PID/status text.
    private static func mask(in status: String, field: String) -> UInt64? {
        guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix(field + ":") }) else { return nil }
        return UInt64(line.dropFirst(field.count + 1).trimmingCharacters(in: .whitespaces), radix: 16)
    }
}
