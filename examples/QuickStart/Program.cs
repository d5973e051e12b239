// The seed's library example in C#: an STM32F103-like device, "Hello IoT!" in SRAM, and a translation.
// Run it with: dotnet run --project examples/QuickStart
using MemGate.Examples;

QuickStartExample.Run(Console.Out);
RangesExample.Run(Console.Out);
DevicesExample.Run(Console.Out);
PeripheralsExample.Run(Console.Out);
FirmwareExample.Run(Path.Combine("examples", "firmware", "riscv-virt", "hello-rv32.elf"), Console.Out);
