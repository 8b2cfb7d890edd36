package io.ssebroker.client;

import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoEventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;

/**
 * Chooses the client transport: native epoll where its library loads, NIO otherwise. Set the system property
 * {@code ssebroker.transport=nio} to force NIO.
 * <p>
 * Epoll is an optional dependency of the client: an application without {@code netty-transport-native-epoll}
 * on its class path gets NIO. The epoll classes are only touched from {@link Native}, which is loaded only
 * when they are present.
 * <p>
 * <b>Threading:</b> stateless.
 */
public final class NettyTransport
{
    private static final boolean EPOLL_CLASSES_PRESENT = classPresent("io.netty.channel.epoll.Epoll");

    private NettyTransport()
    {
    }

    /**
     * @return true when epoll will be used.
     */
    public static boolean epoll()
    {
        return !"nio".equals(System.getProperty("ssebroker.transport")) && EPOLL_CLASSES_PRESENT && Native.available();
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
        return epoll() ? Native.newGroup(threads, threadFactory) :
            new MultiThreadIoEventLoopGroup(threads, threadFactory, NioIoHandler.newFactory());
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
        return EPOLL_CLASSES_PRESENT && Native.isEpoll(parent) ? Native.socketChannelClass() : NioSocketChannel.class;
    }

    private static boolean classPresent(final String name)
    {
        try
        {
            Class.forName(name, false, NettyTransport.class.getClassLoader());
            return true;
        }
        catch (final ClassNotFoundException | LinkageError ex)
        {
            return false;
        }
    }

    /**
     * Everything that names an epoll class, so that {@link NettyTransport} itself links without them.
     */
    private static final class Native
    {
        static boolean available()
        {
            return Epoll.isAvailable();
        }

        static EventLoopGroup newGroup(final int threads, final DefaultThreadFactory threadFactory)
        {
            return new MultiThreadIoEventLoopGroup(threads, threadFactory, EpollIoHandler.newFactory());
        }

        static boolean isEpoll(final EventLoopGroup group)
        {
            return group instanceof IoEventLoopGroup && ((IoEventLoopGroup)group).isIoType(EpollIoHandler.class);
        }

        static Class<? extends SocketChannel> socketChannelClass()
        {
            return EpollSocketChannel.class;
        }
    }
}
