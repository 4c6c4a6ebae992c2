/// Where the daemon listens and the CLI looks (DESIGN §1): `--socket`, else `$CANRUN_SOCKET`,
/// else `/run/canrun/canrun.sock` for root (systemd's socket unit), else
/// `$XDG_RUNTIME_DIR/canrun.sock`; nil when none applies (a user without a runtime directory).
public enum SocketPath {
    public static let system = "/run/canrun/canrun.sock"

    public static func resolve(option: String?, environment: [String: String], uid: UInt32) -> String? {
        if let option, !option.isEmpty { return option }
        if let path = environment["CANRUN_SOCKET"], !path.isEmpty { return path }
        if uid == 0 { return system }
        if let runtime = environment["XDG_RUNTIME_DIR"], !runtime.isEmpty { return runtime + "/canrun.sock" }
        return nil
    }

    /// Where the CLI looks, in order: `resolve`'s path, then, for a user who named none, the
    /// system daemon's socket (members of its group may connect to it).
    public static func candidates(option: String?, environment: [String: String], uid: UInt32) -> [String] {
        let first = resolve(option: option, environment: environment, uid: uid)
        let named = !(option ?? "").isEmpty || !(environment["CANRUN_SOCKET"] ?? "").isEmpty
        let system = named || first == system ? [] : [system]
        return (first.map { [$0] } ?? []) + system
    }
}
