import Synchronization
import Testing

@testable import Sandbox

@Suite struct MiniShellTests {
    struct Run {
        var outcome: MiniShell.Outcome
        var stdout: String
        var stderr: String
    }

    func run(_ argv: [String], stdin: ByteChannel = ByteChannel(contents: []), env: [String: String] = ["GREETING": "hi"],
             tty: Bool = false) async -> Run {
        let out = Mutex<[UInt8]>([]), err = Mutex<[UInt8]>([])
        let io = ShellIO(stdin: stdin, stdout: { b in out.withLock { $0 += b } }, stderr: { b in err.withLock { $0 += b } })
        let outcome = await MiniShell(environment: env, hostname: "web-1", tty: tty).run(argv: argv, io: io)
        return Run(outcome: outcome, stdout: String(decoding: out.withLock { $0 }, as: UTF8.self),
                   stderr: String(decoding: err.withLock { $0 }, as: UTF8.self))
    }

    @Test func echoAndExitCodes() async {
        #expect(await run(["echo", "hello", "world"]).stdout == "hello world\n")
        #expect(await run(["echo", "-n", "x"]).stdout == "x")
        #expect(await run(["sh", "-c", "exit 3"]).outcome == .exited(3))
        #expect(await run(["false"]).outcome == .exited(1))
        #expect(await run(["/bin/true"]).outcome == .exited(0))
    }

    @Test func scriptsJoinCommandsWithOperators() async {
        let r = await run(["sh", "-c", "echo a && echo b; false || echo c; false && echo never; echo $? \"$GREETING\" '$GREETING'"])
        #expect(r.stdout == "a\nb\nc\n1 hi $GREETING\n")
        #expect(r.outcome == .exited(0))
    }

    @Test func exitStopsTheScript() async {
        let r = await run(["sh", "-c", "echo before; exit 4; echo after"])
        #expect(r.stdout == "before\n")
        #expect(r.outcome == .exited(4))
    }

    @Test func pipesFeedTheNextCommand() async {
        #expect(await run(["sh", "-c", "echo piped | cat"]).stdout == "piped\n")
    }

    @Test func catCopiesStdinUntilItCloses() async {
        let stdin = ByteChannel()
        stdin.push(Array("one\n".utf8))
        stdin.push(Array("two\n".utf8))
        stdin.finish()
        #expect(await run(["cat"], stdin: stdin).stdout == "one\ntwo\n")
    }

    @Test func unknownCommands() async {
        if case .notFound(let message) = await run(["nosuch"]).outcome {
            #expect(message == #"exec: "nosuch": executable file not found in $PATH"#)
        } else {
            Issue.record("a direct exec of an unknown program must not run")
        }
        let inShell = await run(["sh", "-c", "nosuch"])
        #expect(inShell.outcome == .exited(127))
        #expect(inShell.stderr == "sh: 1: nosuch: not found\n")
    }

    @Test func syntaxErrorsAreReportedWithStatus2() async {
        let r = await run(["sh", "-c", "echo 'open"])
        #expect(r.outcome == .exited(2))
        #expect(r.stderr.contains("unterminated"))
        #expect(await run(["sh", "-c", "echo x > f"]).stderr.contains("redirections are not supported"))
    }

    @Test func envListsTheContainerEnvironmentSorted() async {
        #expect(await run(["env"], env: ["B": "2", "A": "1"]).stdout == "A=1\nB=2\n")
        #expect(await run(["hostname"]).stdout == "web-1\n")
    }

    @Test func shWithoutDashCReadsCommandsFromStdin() async {
        let stdin = ByteChannel(contents: Array("echo one\necho two\nexit 5\necho never\n".utf8))
        let r = await run(["sh"], stdin: stdin)
        #expect(r.stdout == "one\ntwo\n")
        #expect(r.outcome == .exited(5))
    }

    @Test func anInteractiveTTYShellPromptsAndEchoes() async {
        let stdin = ByteChannel(contents: Array("echo hi\r".utf8) + [0x04])
        let r = await run(["sh"], stdin: stdin, tty: true)
        #expect(r.stdout == "$ echo hi\r\nhi\r\n$ exit\r\n")
        #expect(r.outcome == .exited(0))
    }

    @Test func sleepRejectsBadIntervals() async {
        #expect(await run(["sleep", "0.01"]).outcome == .exited(0))
        let bad = await run(["sleep", "soon"])
        #expect(bad.outcome == .exited(1))
        #expect(bad.stderr == "sleep: invalid time interval 'soon'\n")
    }
}
