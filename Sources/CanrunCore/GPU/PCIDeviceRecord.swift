/// One PCI function as libpci, sysfs or an hwloc topology reported it.
public struct PCIDeviceRecord: Sendable, Equatable {
    /// `dddd:bb:dd.f`, lowercase.
    public var address: String
    public var vendorId: UInt16
    public var deviceId: UInt16
    /// Base class and subclass (`0x0302`), without the programming interface.
    public var classCode: UInt16
    public var subsystemVendorId: UInt16?
    public var subsystemDeviceId: UInt16?
    public var revision: UInt8?
    /// Host NUMA node; `nil` for unknown (sysfs `-1`).
    public var numaNode: Int?
    /// Names from pci.ids or hwloc's `PCIVendor`/`PCIDevice` infos.
    public var vendorName: String?
    public var deviceName: String?
    public var driver: String?
    /// The link to the host (sysfs or hwloc); nil when the source did not say.
    public var link: PCIeLink?
    /// hwloc OS devices below this function (`cuda0`, `rsmi0`, `opencl0d0`, `card0`, …).
    public var osDevices: [OSDeviceRecord]

    public init(
        address: String,
        vendorId: UInt16,
        deviceId: UInt16,
        classCode: UInt16,
        subsystemVendorId: UInt16? = nil,
        subsystemDeviceId: UInt16? = nil,
        revision: UInt8? = nil,
        numaNode: Int? = nil,
        vendorName: String? = nil,
        deviceName: String? = nil,
        driver: String? = nil,
        link: PCIeLink? = nil,
        osDevices: [OSDeviceRecord] = []
    ) {
        self.address = address
        self.vendorId = vendorId
        self.deviceId = deviceId
        self.classCode = classCode
        self.subsystemVendorId = subsystemVendorId
        self.subsystemDeviceId = subsystemDeviceId
        self.revision = revision
        self.numaNode = numaNode
        self.vendorName = vendorName
        self.deviceName = deviceName
        self.driver = driver
        self.link = link
        self.osDevices = osDevices
    }

    public var vendorHex: String { Hex.word(vendorId) }
    public var deviceHex: String { Hex.word(deviceId) }
    public var classHex: String { Hex.word(classCode) }
    public var subsystemHex: String? {
        guard let v = subsystemVendorId, let d = subsystemDeviceId else { return nil }
        return "\(Hex.word(v)):\(Hex.word(d))"
    }
}

/// An hwloc OS device: its name, subtype and infos (`CUDAGlobalMemorySize`, `GPUModel`, …).
public struct OSDeviceRecord: Sendable, Equatable {
    public var name: String
    public var subtype: String?
    public var infos: [String: String]

    public init(name: String, subtype: String?, infos: [String: String]) {
        self.name = name
        self.subtype = subtype
        self.infos = infos
    }
}

enum Hex {
    static func word(_ value: UInt16) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }

    /// Normalises `0000:34:00.0` / `00000000:34:00.0` / `34:00.0` to `dddd:bb:dd.f` lowercase.
    static func pciAddress(_ raw: String) -> String? {
        let parts = raw.lowercased().split(separator: ":")
        let (domain, bus, rest): (Substring, Substring, Substring)
        switch parts.count {
        case 3: (domain, bus, rest) = (parts[0], parts[1], parts[2])
        case 2: (domain, bus, rest) = ("0000", parts[0], parts[1])
        default: return nil
        }
        let slotFunction = rest.split(separator: ".")
        guard slotFunction.count == 2, let d = UInt32(domain, radix: 16), let b = UInt8(bus, radix: 16),
            let s = UInt8(slotFunction[0], radix: 16), let f = UInt8(slotFunction[1], radix: 16), d <= 0xFFFF
        else { return nil }
        func pad(_ v: some BinaryInteger, _ n: Int) -> String {
            let text = String(v, radix: 16)
            return String(repeating: "0", count: max(0, n - text.count)) + text
        }
        return "\(pad(d, 4)):\(pad(b, 2)):\(pad(s, 2)).\(pad(f, 1))"
    }
}
