package io.ssebroker.server;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.uring.IoUring;
import io.netty.channel.uring.IoUringIoHandler;
import io.netty.channel.uring.IoUringServerSocketChannel;

import java.util.concurrent.ThreadFactory;
import java.util.function.UnaryOperator;

/**
 * The socket transport of the broker's event loops: epoll, io_uring or NIO. Asking for one this machine cannot run
 * falls back, io_uring to epoll and epoll to NIO, and {@link #fallbackReason()} says why.
 */
final class Transport
{
    private final String name;
    private final IoHandlerFactory handlers;
    private final Class<? extends ServerChannel> serverChannelClass;
    private final String fallbackReason;

    private Transport(
        final String name,
        final IoHandlerFactory handlers,
        final Class<? extends ServerChannel> serverChannelClass,
        final String fallbackReason)
    {
        this.name = name;
        this.handlers = handlers;
        this.serverChannelClass = serverChannelClass;
        this.fallbackReason = fallbackReason;
    }

    /**
     * @param requested {@code epoll}, {@code io_uring} or {@code nio} (the {@code transport} setting).
     */
    static Transport select(final String requested)
    {
        String reason = null;
        if ("io_uring".equals(requested))
        {
            if (IoUring.isAvailable())
            {
                return new Transport("io_uring", IoUringIoHandler.newFactory(), IoUringServerSocketChannel.class, null);
            }
            reason = "io_uring is not available (" + IoUring.unavailabilityCause() + ")";
        }
        if (!"nio".equals(requested))
        {
            if (Epoll.isAvailable())
            {
                return new Transport("epoll", EpollIoHandler.newFactory(), EpollServerSocketChannel.class, reason);
            }
            reason = (null == reason ? "" : reason + "; ") + "epoll is not available (" + Epoll.unavailabilityCause() + ")";
        }
        return new Transport("nio", NioIoHandler.newFactory(), NioServerSocketChannel.class, reason);
    }

    /**
     * @param wrap applied to the transport's handler factory (tests add Netty's local transport to the loops).
     */
    EventLoopGroup newGroup(final int threads, final ThreadFactory threadFactory, final UnaryOperator<IoHandlerFactory> wrap)
    {
        return new MultiThreadIoEventLoopGroup(threads, threadFactory, wrap.apply(handlers));
    }

    Class<? extends ServerChannel> serverChannelClass()
    {
        return serverChannelClass;
    }

    String name()
    {
        return name;
    }

    /**
     * @return why the transport asked for could not be used, or null.
     */
    String fallbackReason()
    {
        return fallbackReason;
    }
}
