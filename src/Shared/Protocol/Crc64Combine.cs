namespace S3Fanout.Shared.Protocol;

/// <summary>
/// The CRC-64/NVME of a concatenation from the CRCs of its parts, without their bytes: the stream's checksum from the
/// segments' checksums, which is what S3 reports as the full-object checksum of an assembled object.
/// </summary>
/// <remarks>
/// Written here because System.IO.Hashing's <c>Crc64</c> (the implementation every segment checksum comes from) has
/// no combine operation, and no maintained .NET package offers one. The method is the standard one for reflected CRCs
/// whose initial value and final XOR are both all ones (as for CRC-32 and CRC-64/NVME): CRC(A‖B) equals CRC(A)
/// multiplied by x^(8·|B|) modulo the polynomial, XOR CRC(B). The multiplication runs in GF(2) on the bit-reflected
/// representation, and x^(8·n) is built from a table of x^(2^k), so a combine costs O(log n) products.
/// </remarks>
internal static class Crc64Combine
{
    /// <summary>The CRC-64/NVME polynomial 0xAD93D23594C93659, bit-reflected.</summary>
    private const ulong ReflectedPolynomial = 0x9A6C9329AC4BC9B5;

    /// <summary>x^0 in the reflected representation (the highest bit stands for the lowest power).</summary>
    private const ulong One = 1UL << 63;

    /// <summary>x^(2^k) mod P for k = 0..63.</summary>
    private static readonly ulong[] PowersOfTwo = BuildPowers();

    /// <summary>The CRC of A‖B from CRC(A), CRC(B) and the length of B in bytes.</summary>
    public static ulong Combine(ulong crcA, ulong crcB, long lengthB)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(lengthB);
        return Multiply(XPower8N(lengthB), crcA) ^ crcB;
    }

    /// <summary>The same on checksums as S3 and the manifests write them (base64 of the big-endian value).</summary>
    public static string Combine(string crcA, string crcB, long lengthB) =>
        SegmentChecksum.Encode(Combine(SegmentChecksum.Decode(crcA), SegmentChecksum.Decode(crcB), lengthB));

    /// <summary>a·b mod P.</summary>
    private static ulong Multiply(ulong a, ulong b)
    {
        var bit = One;
        ulong product = 0;
        while (true)
        {
            if ((a & bit) != 0)
            {
                product ^= b;
                if ((a & (bit - 1)) == 0)
                {
                    return product;
                }
            }
            bit >>= 1;
            b = (b & 1) != 0 ? (b >> 1) ^ ReflectedPolynomial : b >> 1;
        }
    }

    /// <summary>x^(8·n) mod P: one byte of zeros is x^8, so the bits of n select table entries from 2^3 upward.</summary>
    private static ulong XPower8N(long n)
    {
        var power = One;
        for (var k = 3; n != 0; n >>= 1, k++)
        {
            if ((n & 1) != 0)
            {
                power = Multiply(PowersOfTwo[k & 63], power);
            }
        }
        return power;
    }

    private static ulong[] BuildPowers()
    {
        var table = new ulong[64];
        table[0] = One >> 1; // x^1
        for (var k = 1; k < table.Length; k++)
        {
            table[k] = Multiply(table[k - 1], table[k - 1]);
        }
        return table;
    }
}
