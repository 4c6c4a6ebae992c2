/// A path prefix under which the probe finds `/sys`, `/proc`, `/run/udev` and `/dev`.
///
/// `/` on a live machine; an unpacked `hwloc-gather-topology` tree, a ghw snapshot or a
/// `canrun probe --record` folder in replays and tests.
public struct HostRoot: Sendable, Equatable, CustomStringConvertible {
    public let path: String

    public init(_ path: String) {
        self.path = path.count > 1 && path.hasSuffix("/") ? String(path.dropLast()) : path
    }

    public static let live = HostRoot("/")

    public var isLive: Bool { path == "/" }

    /// `absolute` (which starts with `/`) under this root.
    public func resolve(_ absolute: String) -> String {
        isLive ? absolute : path + absolute
    }

    public var description: String { path }
}
