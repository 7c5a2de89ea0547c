namespace DrSentinel;

/// <summary>A configuration value that stops the host before it serves anything; the message names the key.</summary>
public sealed class StartupConfigurationException(string message) : Exception(message);
