return await S3Fanout.Subscriber.SubscribeCommand.RunAsync(args).ConfigureAwait(false);
