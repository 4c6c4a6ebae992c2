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
}
