return await S3Fanout.Publisher.PublishCommand.RunAsync(args).ConfigureAwait(false);
