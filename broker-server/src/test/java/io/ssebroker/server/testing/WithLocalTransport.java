package io.ssebroker.server.testing;

import io.netty.channel.IoHandle;
import io.netty.channel.IoHandler;
import io.netty.channel.IoHandlerContext;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.IoRegistration;
import io.netty.channel.local.LocalIoHandler;
import io.netty.util.concurrent.ThreadAwareExecutor;

/**
 * Lets the broker's own event loops also carry Netty's local transport, for {@link LocalPorts}. Since Netty 4.2 an
 * event loop registers channels with one I/O handler of one transport; this one hands local channels to a
 * {@link LocalIoHandler} of the same loop and everything else to the socket transport's handler, which runs the loop.
 * Local channels do their I/O in tasks on the loop, so the local handler only keeps their registrations.
 */
public final class WithLocalTransport implements IoHandlerFactory
{
    private final IoHandlerFactory sockets;

    private WithLocalTransport(final IoHandlerFactory sockets)
    {
        this.sockets = sockets;
    }

    /** For {@code BrokerConfig.ioHandlers}. */
    public static IoHandlerFactory alongside(final IoHandlerFactory sockets)
    {
        return new WithLocalTransport(sockets);
    }

    @Override
    public IoHandler newHandler(final ThreadAwareExecutor executor)
    {
        return new Composite(sockets.newHandler(executor), LocalIoHandler.newFactory().newHandler(executor));
    }

    private static final class Composite implements IoHandler
    {
        private final IoHandler sockets;
        private final IoHandler local;

        Composite(final IoHandler sockets, final IoHandler local)
        {
            this.sockets = sockets;
            this.local = local;
        }

        @Override
        public void initialize()
        {
            sockets.initialize();
            local.initialize();
        }

        @Override
        public int run(final IoHandlerContext context)
        {
            return sockets.run(context);
        }

        @Override
        public void prepareToDestroy()
        {
            local.prepareToDestroy();
            sockets.prepareToDestroy();
        }

        @Override
        public void destroy()
        {
            local.destroy();
            sockets.destroy();
        }

        @Override
        public IoRegistration register(final IoHandle handle) throws Exception
        {
            return local.isCompatible(handle.getClass()) ? local.register(handle) : sockets.register(handle);
        }

        @Override
        public void wakeup()
        {
            sockets.wakeup();
        }

        @Override
        public boolean isCompatible(final Class<? extends IoHandle> handleType)
        {
            return sockets.isCompatible(handleType) || local.isCompatible(handleType);
        }
    }
}
