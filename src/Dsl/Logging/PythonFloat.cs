using System.Globalization;
using System.Numerics;
using System.Text;

namespace Dsl.Logging;

/// <summary>
/// Python's float <c>repr</c> and <c>round</c>, so logged numbers match Hugging Face's digit for
/// digit (HF rounds the logged loss to 4 places and speeds to 3 with Python's <c>round</c>).
/// </summary>
public static class PythonFloat
{
    /// <summary>Python's <c>repr(float)</c>: the shortest string that round-trips.</summary>
    public static string Repr(double value)
    {
        if (double.IsNaN(value)) return "NaN";
        if (double.IsPositiveInfinity(value)) return "Infinity";
        if (double.IsNegativeInfinity(value)) return "-Infinity";

        // .NET's "R" is the shortest round-trip form too; only the layout differs from Python's.
        string r = value.ToString("R", CultureInfo.InvariantCulture);
        bool negative = r.StartsWith('-');
        if (negative) r = r[1..];
        int e = r.IndexOfAny(['E', 'e']);
        int exponent = e >= 0 ? int.Parse(r[(e + 1)..], CultureInfo.InvariantCulture) : 0;
        string mantissa = e >= 0 ? r[..e] : r;
        int dot = mantissa.IndexOf('.');
        string digits = dot >= 0 ? mantissa.Remove(dot, 1) : mantissa;
        int pointAt = (dot >= 0 ? dot : mantissa.Length) + exponent; // digits before the decimal point

        // Normalise: strip leading zeros (moving the point) and trailing zeros.
        int lead = 0;
        while (lead < digits.Length - 1 && digits[lead] == '0') { lead++; pointAt--; }
        digits = digits[lead..].TrimEnd('0');
        if (digits.Length == 0) { digits = "0"; pointAt = 1; }

        int sciExponent = pointAt - 1;
        var sb = new StringBuilder();
        if (negative) sb.Append('-');
        if (digits == "0" || (sciExponent >= -4 && sciExponent < 16))
        {
            if (pointAt <= 0) sb.Append("0.").Append('0', -pointAt).Append(digits);
            else if (pointAt >= digits.Length) sb.Append(digits).Append('0', pointAt - digits.Length).Append(".0");
            else sb.Append(digits, 0, pointAt).Append('.').Append(digits, pointAt, digits.Length - pointAt);
        }
        else
        {
            sb.Append(digits[0]);
            if (digits.Length > 1) sb.Append('.').Append(digits, 1, digits.Length - 1);
            sb.Append('e').Append(sciExponent < 0 ? '-' : '+').Append(Math.Abs(sciExponent).ToString("00", CultureInfo.InvariantCulture));
        }
        return sb.ToString();
    }

    /// <summary>
    /// Python's <c>round(value, digits)</c>: the exact decimal value rounded half to even, then the
    /// nearest double. (<see cref="Math.Round(double, int)"/> multiplies first, which can differ.)
    /// </summary>
    public static double Round(double value, int digits)
    {
        if (!double.IsFinite(value) || value == 0) return value;
        long bits = BitConverter.DoubleToInt64Bits(value);
        bool negative = bits < 0;
        int exponent = (int)((bits >> 52) & 0x7FF);
        long fraction = bits & 0xFFFFFFFFFFFFFL;
        BigInteger mantissa = exponent == 0 ? fraction : fraction | (1L << 52);
        int shift = (exponent == 0 ? 1 : exponent) - 1075; // value = mantissa × 2^shift

        BigInteger scaled = mantissa * BigInteger.Pow(10, digits);
        BigInteger rounded;
        if (shift >= 0) rounded = scaled << shift;
        else
        {
            BigInteger denominator = BigInteger.One << -shift;
            BigInteger quotient = BigInteger.DivRem(scaled, denominator, out BigInteger remainder);
            int half = (remainder * 2).CompareTo(denominator);
            rounded = half > 0 || (half == 0 && !quotient.IsEven) ? quotient + 1 : quotient;
        }
        double result = double.Parse(rounded.ToString(CultureInfo.InvariantCulture) + "e-" + digits.ToString(CultureInfo.InvariantCulture),
            NumberStyles.Float, CultureInfo.InvariantCulture);
        return negative ? -result : result;
    }
}
