import CanrunCore
import Testing

/// Text as dmidecode 3.x prints it (dmidecode's dmi_memory_device_* functions).
struct DmidecodeTextReaderTests {
    static let sample = """
        # dmidecode 3.4
        Handle 0x0040, DMI type 17, 92 bytes
        Memory Device
        \tArray Handle: 0x003F
        \tTotal Width: 72 bits
        \tData Width: 64 bits
        \tSize: 96 GB
        \tForm Factor: DIMM
        \tLocator: CPU1_DIMM_A1
        \tBank Locator: P0 CHANNEL A
        \tType: DDR5
        \tType Detail: Synchronous Registered (Buffered)
        \tSpeed: 4800 MT/s
        \tSerial Number: 1234
        \tRank: 2
        \tConfigured Memory Speed: 4800 MT/s

        Handle 0x0041, DMI type 17, 40 bytes
        Memory Device
        \tSize: No Module Installed
        \tLocator: CPU1_DIMM_B1
        \tType: Unknown
        \tSpeed: Unknown

        Handle 0x0042, DMI type 17, 40 bytes
        Memory Device
        \tSize: 4096 MB
        \tLocator: DIMM_A1
        \tType: <OUT OF SPEC>
        \tSpeed: 1600 MHz
        \tConfigured Clock Speed: 1333 MHz

        Handle 0x0050, DMI type 4, 48 bytes
        Processor Information
        \tSocket Designation: CPU1
        \tStatus: Populated, Enabled
        \tCore Count: 96
        \tThread Count: 192
        """

    @Test func readsMemoryDevices() {
        let reading = DmidecodeTextReader.read(Self.sample)
        #expect(reading.source == "dmidecode")
        #expect(reading.memoryDevices.count == 3)
        let first = reading.memoryDevices[0]
        #expect(first.sizeBytes == 96 << 30)
        #expect(first.type == "DDR5")
        #expect(first.configuredSpeedMts == 4800)
        #expect(first.dataWidthBits == 64)
        #expect(first.totalWidthBits == 72)
        #expect(first.rank == 2)
        #expect(reading.memoryDevices[1].sizeBytes == 0)
        #expect(reading.memoryDevices[1].type == nil)
        #expect(reading.memoryDevices[1].speedMts == nil)
    }

    /// Old dmidecode prints "Configured Clock Speed" in MHz where firmware means MT/s; an
    /// out-of-spec type code is unknown, never a guess.
    @Test func readsOlderSpellings() {
        let device = DmidecodeTextReader.read(Self.sample).memoryDevices[2]
        #expect(device.sizeBytes == 4 << 30)
        #expect(device.type == nil)
        #expect(device.speedMts == 1600)
        #expect(device.configuredSpeedMts == 1333)
    }

    @Test func readsProcessors() {
        let processors = DmidecodeTextReader.read(Self.sample).processors
        #expect(processors.count == 1)
        #expect(processors[0].populated)
        #expect(processors[0].coreCount == 96)
        #expect(processors[0].threadCount == 192)
    }

    @Test(arguments: ["", "not dmidecode at all\n\tSize: 16 GB\n", "Handle 0x, DMI type\n"])
    func garbageGivesNoDevices(_ text: String) {
        #expect(DmidecodeTextReader.read(text).memoryDevices.isEmpty)
    }

    /// Fixture: ASUS RS720A-E12, 24 × 96 GB DDR5-4800 RDIMM (README of Tests/Fixtures, dmi/ table).
    @Test func readsARealServer() throws {
        let text = try CoreFixtures.text("dmi/server-asus-rs720a-e12-2x-epyc-9654-24x96g-ddr5-4800.dmidecode.txt")
        let reading = DmidecodeTextReader.read(text)
        let populated = reading.memoryDevices.filter(\.isPopulated)
        #expect(populated.count == 24)
        #expect(Set(populated.map(\.sizeBytes)) == [96 << 30])
        #expect(reading.processors.filter(\.populated).map(\.coreCount) == [96, 96])
    }

    /// udev's dmi_memory_id keys (systemd src/udev/dmi_memory_id/dmi_memory_id.c).
    @Test func readsUdevDatabase() {
        let text = """
            E:MEMORY_ARRAY_NUM_DEVICES=2
            E:MEMORY_DEVICE_0_SIZE=17179869184
            E:MEMORY_DEVICE_0_TYPE=DDR5
            E:MEMORY_DEVICE_0_SPEED_MTS=4800
            E:MEMORY_DEVICE_0_CONFIGURED_SPEED_MTS=6000
            E:MEMORY_DEVICE_0_DATA_WIDTH=64
            E:MEMORY_DEVICE_0_LOCATOR=DIMMA2
            E:MEMORY_DEVICE_0_BANK_LOCATOR=P0 CHANNEL A
            E:MEMORY_DEVICE_0_SERIAL_NUMBER=00000000
            E:MEMORY_DEVICE_1_PRESENT=0
            E:MEMORY_DEVICE_1_LOCATOR=DIMMA1
            """
        let reading = UdevMemoryReader.read(text)
        #expect(reading?.source == "udev")
        #expect(reading?.memoryDevices.count == 2)
        #expect(reading?.memoryDevices[0].sizeBytes == 16 << 30)
        #expect(reading?.memoryDevices[0].configuredSpeedMts == 6000)
        #expect(reading?.memoryDevices[0].type == "DDR5")
        #expect(reading?.memoryDevices[1].isPopulated == false)
        #expect(UdevMemoryReader.read("E:ID_FOO=1\n") == nil)
    }
}
