import GRDB
import Synchronization

/// Groups authenticated requests into runs: one agent's stretch of work, from one host (this
/// store's), uid and cgroup (or, for a forwarded caller, source address; on a relay, also the
/// gateway), under one verified identity and one token, until it has been idle for ``idle``.
///
/// Invariants:
/// - A run's activity is its requests' receipt and its responses' ends; a request more than
///   ``idle`` after the last activity of its key's run starts a new run.
/// - Run ids continue past the highest in the store, and runs active within ``idle`` before the
///   recorder started go on: a restarted gateway does not split an agent's run.
/// - State per run is a few hundred bytes; runs idle for longer than ``idle`` are dropped as new
///   requests arrive, so memory follows the number of recently active agents.
final class RunTracker: Sendable {
    /// What makes two requests part of the same run (besides time). The cgroup is its id when
    /// sock_diag gave one (its path is derived, and may not have been found for every connection),
    /// else the path `/proc` gave.
    struct Key: Hashable, Sendable {
        var uid: Int64?
        var cgroupID: Int64?
        var cgroup: String?
        var callerAddress: String?
        var gateway: String?
        var username: String
        var tokenFingerprint: String

        init(uid: Int64?, cgroupID: Int64?, cgroup: String?, callerAddress: String?, gateway: String? = nil, username: String,
             tokenFingerprint: String) {
            self.uid = uid
            self.cgroupID = cgroupID
            self.cgroup = cgroupID == nil ? cgroup : nil
            self.callerAddress = callerAddress
            self.gateway = gateway
            self.username = username
            self.tokenFingerprint = tokenFingerprint
        }
    }

    private struct Run {
        var id: Int64
        var lastActivity: Int64
    }

    private struct State {
        var runs: [Key: Run] = [:]
        var keys: [Int64: Key] = [:]
        var nextID: Int64
        var assignedSinceSweep = 0
    }

    /// Microseconds without activity after which a run ends.
    let idle: Int64
    private let state: Mutex<State>

    init(database: StoreDatabase, idle: Duration, now: Int64) throws {
        let (seconds, attoseconds) = idle.components
        let idleMicroseconds = max(1, seconds * 1_000_000 + attoseconds / 1_000_000_000_000)
        self.idle = idleMicroseconds
        let since = now - idleMicroseconds
        let (highest, active) = try database.pool.read { db -> (Int64, [(Key, Run)]) in
            let highest = try Int64.fetchOne(db, sql: "SELECT max(id) FROM runs") ?? 0
            let rows = try Row.fetchAll(db, sql: """
                SELECT u.id, u.uid, u.cgroup_id, u.cgroup, u.caller_address, u.gateway, u.username, u.token_fingerprint,
                       max(r.received_at) AS last
                FROM requests r JOIN runs u ON u.id = r.run_id
                WHERE r.received_at >= ? GROUP BY u.id
                """, arguments: [since])
            return (highest, rows.map { row in
                (Key(uid: row["uid"], cgroupID: row["cgroup_id"], cgroup: row["cgroup"], callerAddress: row["caller_address"],
                     gateway: row["gateway"], username: row["username"], tokenFingerprint: row["token_fingerprint"]),
                 Run(id: row["id"], lastActivity: row["last"]))
            })
        }
        var initial = State(nextID: highest + 1)
        for (key, run) in active where (initial.runs[key]?.lastActivity ?? .min) < run.lastActivity {
            initial.runs[key] = run
            initial.keys[run.id] = key
        }
        state = Mutex(initial)
    }

    /// The run of a request by `key` received at `time`, and whether it starts that run.
    func assign(_ key: Key, at time: Int64) -> (id: Int64, isNew: Bool) {
        state.withLock { state in
            state.assignedSinceSweep += 1
            if state.assignedSinceSweep >= 1024 {
                state.assignedSinceSweep = 0
                sweep(&state, now: time)
            }
            if var run = state.runs[key], time - run.lastActivity <= idle {
                run.lastActivity = max(run.lastActivity, time)
                state.runs[key] = run
                return (run.id, false)
            }
            if let old = state.runs[key] { state.keys[old.id] = nil }
            let run = Run(id: state.nextID, lastActivity: time)
            state.nextID += 1
            state.runs[key] = run
            state.keys[run.id] = key
            return (run.id, true)
        }
    }

    /// Notes activity of run `id` at `time` (a response ended).
    func touch(_ id: Int64, at time: Int64) {
        state.withLock { state in
            guard let key = state.keys[id], var run = state.runs[key], run.id == id else { return }
            run.lastActivity = max(run.lastActivity, time)
            state.runs[key] = run
        }
    }

    private func sweep(_ state: inout State, now: Int64) {
        for (key, run) in state.runs where now - run.lastActivity > idle {
            state.runs[key] = nil
            state.keys[run.id] = nil
        }
    }
}
