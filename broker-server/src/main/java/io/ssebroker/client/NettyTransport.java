package io.ssebroker.client;

import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;

/**
 * Chooses the client transport: native epoll where its library loads, NIO otherwise. Set the system property
 * {@code ssebroker.transport=nio} to force NIO.
 * <p>
 * <b>Threading:</b> stateless.
 */
public final class NettyTransport
{
    private NettyTransport()
    {
    }

    /**
     * @return true when epoll will be used.
     */
    public static boolean epoll()
    {
        return !"nio".equals(System.getProperty("ssebroker.transport")) && Epoll.isAvailable();
    }

    /**
     * Creates an event loop group of daemon threads.
     *
     * @param threads    number of event loops.
     * @param threadName prefix of the thread names.
     * @return an epoll group when {@link #epoll()}, else NIO.
     */
    public static EventLoopGroup newEventLoopGroup(final int threads, final String threadName)
    {
        final DefaultThreadFactory threadFactory = new DefaultThreadFactory(threadName, true);
        return epoll() ? new EpollEventLoopGroup(threads, threadFactory) : new NioEventLoopGroup(threads, threadFactory);
    }

    /**
     * Socket channel class that matches a group, or one of its loops.
     *
     * @param group event loop group or event loop.
     * @return the epoll or NIO socket channel class.
     */
    public static Class<? extends SocketChannel> socketChannelClass(final EventLoopGroup group)
    {
        final EventLoopGroup parent = group instanceof EventLoop ? ((EventLoop)group).parent() : group;
        return parent instanceof EpollEventLoopGroup ? EpollSocketChannel.class : NioSocketChannel.class;
    }
}
