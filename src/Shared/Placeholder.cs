namespace S3Fanout.Shared; internal static class Placeholder { }
