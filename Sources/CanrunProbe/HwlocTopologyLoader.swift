import CHwloc
import CanrunCore
import Foundation

/// Loads an hwloc topology — of this machine, or of a gathered `/sys`+`/proc` tree — and exports
/// it as hwloc v2 XML, the form canrun records and decodes.
///
/// This machine's topology is loaded in-process (the kernel's sysfs is trusted), with the
/// settings in the process environment, so loads are serialised by a lock and the variables
/// are restored afterwards. A recorded tree is untrusted input and is read by hwloc in a child
/// process (`IsolatedHwlocExport`). The OpenCL and GL plugins are disabled: they load vendor
/// ICDs and X libraries that a daemon must not pull in.
public enum HwlocTopologyLoader {
    public enum LoadError: Error, Equatable, CustomStringConvertible {
        case hwloc(step: String, errno: Int32)

        public var description: String {
            switch self {
            case .hwloc(let step, let code):
                "hwloc failed to \(step): \(String(cString: strerror(code))) (errno \(code))"
            }
        }
    }

    private static let lock = NSLock()

    /// The topology under `root` (the live machine for `HostRoot.live`) as v2 XML bytes.
    ///
    /// - Parameter includeIO: also walk PCI and OS devices (16–65 ms live, the sysfs walk
    ///   dominates). The live probe reads PCI with libpci instead and passes `false`.
    /// - Throws: `TreeLinkCheck.Refusal` when a recorded tree holds a symbolic link out of it
    ///   (hwloc follows every link, absolute ones to this machine's files); for a recorded
    ///   tree, an error saying how hwloc failed on it (crashed, hung, or not installed).
    public static func exportXML(root: HostRoot, includeIO: Bool = true) throws -> Data {
        try TreeLinkCheck.check(root)
        if !root.isLive { return try IsolatedHwlocExport.export(root: root.path, includeIO: includeIO) }
        lock.lock()
        defer { lock.unlock() }
        let names = ["HWLOC_FSROOT", "HWLOC_THISSYSTEM", "HWLOC_KEEP_NVIDIA_GPU_NUMA_NODES", "HWLOC_COMPONENTS"]
        let saved: [(String, String?)] = names.map { name in (name, getenv(name).map { String(cString: $0) }) }
        defer {
            for (name, value) in saved {
                if let value { setenv(name, value, 1) } else { unsetenv(name) }
            }
        }
        // GPU memory onlined as NUMA nodes (POWER9 + NVLink) is a GPU fact canrun must see.
        setenv("HWLOC_KEEP_NVIDIA_GPU_NUMA_NODES", "1", 1)
        setenv("HWLOC_COMPONENTS", "-opencl,-gl", 1)
        unsetenv("HWLOC_FSROOT")
        unsetenv("HWLOC_THISSYSTEM")

        var topology: hwloc_topology_t?
        guard hwloc_topology_init(&topology) == 0, let topology else {
            throw LoadError.hwloc(step: "initialise a topology", errno: errno)
        }
        defer { hwloc_topology_destroy(topology) }
        _ = hwloc_topology_set_io_types_filter(
            topology,
            includeIO ? HWLOC_TYPE_FILTER_KEEP_IMPORTANT : HWLOC_TYPE_FILTER_KEEP_NONE
        )
        guard hwloc_topology_load(topology) == 0 else {
            throw LoadError.hwloc(step: "load the topology of \(root)", errno: errno)
        }
        var buffer: UnsafeMutablePointer<CChar>?
        var length: Int32 = 0
        guard hwloc_topology_export_xmlbuffer(topology, &buffer, &length, 0) == 0, let buffer else {
            throw LoadError.hwloc(step: "export the topology as XML", errno: errno)
        }
        defer { hwloc_free_xmlbuffer(topology, buffer) }
        // The length counts the trailing NUL.
        return Data(bytes: buffer, count: max(0, Int(length) - 1))
    }
}
