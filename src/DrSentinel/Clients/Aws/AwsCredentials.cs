using Amazon.Runtime;
using Amazon.Runtime.Credentials;

namespace DrSentinel.Clients.Aws;

internal static class AwsCredentials
{
    /// <summary>
    /// Static keys from configuration (the sandbox), else the SDK's default chain: environment, profile, IRSA web
    /// identity (AWSSDK.SecurityToken), instance role. Finding none is a configuration error, said plainly at start-up.
    /// </summary>
    public static AWSCredentials Resolve(AwsOptions options)
    {
        if (options.AccessKeyId is { Length: > 0 } key) return new BasicAWSCredentials(key, options.SecretAccessKey);
        try
        {
            return DefaultAWSCredentialsIdentityResolver.GetCredentials();
        }
        catch (AmazonClientException e)
        {
            throw new StartupConfigurationException(
                "no AWS credentials: set Aws:AccessKeyId and Aws:SecretAccessKey, or give the pod an IRSA role (AWS_ROLE_ARN and " +
                $"AWS_WEB_IDENTITY_TOKEN_FILE), a profile or an instance role. The SDK said: {e.Message}");
        }
    }
}
