import CanrunCore
import CanrunProbe
import Foundation
import Testing

/// NVML loaded with dlopen, exercised against a mock `libnvidia-ml.so.1` compiled here from C
/// with the real NVML ABI (nvml.h: nvmlPciInfo_t, nvmlMemory_t, NVML_CLOCK_MEM = 2). The mock
/// models two H200s: 6144-bit bus at 3201 MHz → 4.917 TB/s, as notes/hardware-probing.md §3.
struct NVMLLibraryTests {
    static let mockSource = """
        #include <string.h>
        typedef struct { unsigned long long total, free, used; } nvmlMemory_t;
        typedef struct { char busIdLegacy[16]; unsigned int domain, bus, device, pciDeviceId, pciSubSystemId;
                         char busId[32]; } nvmlPciInfo_t;
        static int ready;
        int nvmlInit_v2(void) { ready = 1; return 0; }
        int nvmlShutdown(void) { ready = 0; return 0; }
        int nvmlDeviceGetCount_v2(unsigned int *n) { *n = 2; return ready ? 0 : 1; }
        int nvmlDeviceGetHandleByIndex_v2(unsigned int i, void **h) { *h = (void *)(long)(i + 1); return 0; }
        int nvmlDeviceGetName(void *h, char *b, unsigned int n) { strncpy(b, "NVIDIA H200", n); return 0; }
        int nvmlDeviceGetMemoryInfo(void *h, nvmlMemory_t *m) {
            m->total = 150754820096ULL; m->free = 150000000000ULL; m->used = 754820096ULL; return 0; }
        int nvmlDeviceGetPciInfo_v3(void *h, nvmlPciInfo_t *p) {
            memset(p, 0, sizeof *p); p->bus = (long)h == 1 ? 0x18 : 0x2a;
            p->pciDeviceId = 0x233510de; p->pciSubSystemId = 0x18ff10de; return 0; }
        int nvmlDeviceGetMemoryBusWidth(void *h, unsigned int *w) { *w = 6144; return 0; }
        int nvmlDeviceGetMaxClockInfo(void *h, int type, unsigned int *c) { *c = type == 2 ? 3201 : 0; return 0; }
        """

    static var compiler: String? {
        ["/usr/bin/cc", "/usr/bin/gcc", "/usr/bin/clang", "/opt/swift/usr/bin/clang"].first {
            FileManager.default.isExecutableFile(atPath: $0)
        }
    }

    static func buildMock(in folder: String) throws -> String {
        let source = folder + "/nvml_mock.c"
        let library = folder + "/libnvidia-ml.so.1"
        try mockSource.write(toFile: source, atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try #require(compiler))
        process.arguments = ["-shared", "-fPIC", "-o", library, source]
        try process.run()
        process.waitUntilExit()
        try #require(process.terminationStatus == 0)
        return library
    }

    @Test(.enabled(if: compiler != nil, "needs a C compiler to build the mock NVML"))
    func readsDevicesThroughTheRealABI() throws {
        let folder = try FixtureFiles.temporaryFolder()
        defer { FixtureFiles.remove(folder) }
        let readings = try NVMLLibrary.read(libraryPath: try Self.buildMock(in: folder)).get()
        #expect(readings.count == 2)
        let first = try #require(readings.first)
        #expect(first.name == "NVIDIA H200")
        #expect(first.pciAddress == "0000:18:00.0")
        #expect(first.vendorId == 0x10DE)
        #expect(first.deviceId == 0x2335)
        #expect(first.subsystem == "10de:18ff")
        #expect(first.memoryBytes == Int64(150_754_820_096))
        #expect(first.memoryFreeBytes == Int64(150_000_000_000))
        #expect(first.bandwidthBytesPerS == Int64(4_916_736_000_000))
        #expect(readings[1].pciAddress == "0000:2a:00.0")
    }

    /// The driver's figures win over the table's nominal ones, matched by PCI address.
    @Test(.enabled(if: compiler != nil, "needs a C compiler to build the mock NVML"))
    func driverFiguresWinOverTheTable() throws {
        let folder = try FixtureFiles.temporaryFolder()
        defer { FixtureFiles.remove(folder) }
        let nvml = try NVMLLibrary.read(libraryPath: try Self.buildMock(in: folder)).get()
        let pci = ["0000:18:00.0", "0000:2a:00.0"].map {
            PCIDeviceRecord(address: $0, vendorId: 0x10DE, deviceId: 0x2335, classCode: 0x0302, numaNode: 0)
        }
        let profile = ProfileAssembler.assemble(
            ProbeReadings(pciDevices: pci, driverReadings: nvml),
            gpuTable: FixtureFiles.gpuTable
        )
        let gpus = try #require(profile.gpus)
        #expect(gpus.count == 2)
        #expect(gpus.allSatisfy { $0.memorySource == "nvml" && $0.bandwidthSource == "nvml" })
        #expect(gpus[0].memoryBytes == Int64(150_754_820_096))
        #expect(gpus[0].name?.contains("H200") == true)
        #expect(gpus[0].nameSource == "table")
        #expect(gpus[0].numaNode == 0)
    }
}
